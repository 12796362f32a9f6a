// DisksConfig: disks.toml, the storage categories, primary/mirror disks, spares, health and scrub.
// The defaults (no [[disk]]) are the embedded layout under <data_dir>/disks/, see
// config/disks.toml. SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace nimbus::config {

// A plan-size band: users whose plan is min_gb..max_gb live on disks of this category.
struct Category {
  std::string name;
  int min_gb = 0;
  int max_gb = 0;
};

struct Disk {
  std::string id;
  std::string category;  // For a mirror, LoadConfig fills in its primary's category.
  std::string uri;       // "file:/abs/path" (resolved against data_dir) or "s3://bucket/prefix".
  uint64_t capacity_bytes = 0;   // 0 = not set: the storage layer picks a share of free space.
  std::string mirror;            // Primary: the id of its mirror. Mirror: "" or its primary's id.
  std::string role = "primary";  // "primary" | "mirror".
};

struct Spare {
  std::string id;
  std::string uri;
  uint64_t capacity_bytes = 0;
};

// Settings shared by every s3:// disk.
struct S3Config {
  std::string endpoint;  // "" = AWS (https://s3.<region>.amazonaws.com).
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;  // Secret; from secret_key, secret_key_file or the environment.
  std::string secret_key_file;
  bool path_style = true;  // Ceph RGW and MinIO want path-style URLs.
};

struct DisksConfig {
  double near_full_ratio = 0.85;
  int health_interval_s = 10;
  int fail_after = 3;              // Failed health probes in a row before a disk is failed.
  std::string scrub_at = "04:00";  // Daily HH:MM UTC.
  S3Config s3;
  std::vector<Category> categories;  // LoadConfig fills A..E when none are configured.
  std::vector<Disk> disks;  // LoadConfig fills the default layout when none are configured.
  std::vector<Spare> spares;
};

// Why `id` is not a valid disk id (1-64 letters, digits, '-' or '_'), or "" when it is.
std::string DiskIdProblem(const std::string& id);

// A disk URI as disks.toml means it: "file:disks/a1" -> "file:<data_dir>/disks/a1" (relative
// paths are inside the data directory), "file:///x" -> "file:/x"; other schemes unchanged.
std::string ResolveDiskUri(const std::string& uri, const std::filesystem::path& data_dir);

// The built-in categories: A = 1 (free), B = 10–24, C = 25–49, D = 50–74, E = 75–100 GB.
std::vector<Category> DefaultCategories();

}  // namespace nimbus::config
