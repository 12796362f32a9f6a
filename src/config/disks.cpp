// SPDX-License-Identifier: AGPL-3.0-or-later
#include <cctype>
#include <filesystem>
#include <map>
#include <set>

#include "config/fields.h"
#include "config/mounted_disk.h"

namespace nimbus::config {
std::string DiskIdProblem(const std::string& v) {
  bool ok = !v.empty() && v.size() <= 64;
  for (char ch : v)
    ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == '_');
  return ok ? "" : fmt::format("must be 1-64 letters, digits, '-' or '_', got \"{}\"", v);
}

namespace {

constexpr uint64_t kGiB = uint64_t{1} << 30;
// The embedded layout leaves capacities unset: storage gives each disk a share of the free space.
constexpr uint64_t kDefaultCapacity = 0;

std::string CheckUri(const std::string& v) {
  if (v.starts_with("file:") && v.size() > 5) return "";
  if (v.starts_with("s3://") && v.size() > 5 && v[5] != '/') return "";
  return fmt::format("must be \"file:<path>\" or \"s3://bucket[/prefix]\", got \"{}\"", v);
}

void CategoryFields(TomlReader& r, Category& c) {
  r.String("name", c.name, {"a string", [](const std::string& v) {
                              return v.empty() ? std::string("must not be empty") : std::string();
                            }});
  r.Int("min_gb", c.min_gb, 1, 1 << 20);
  r.Int("max_gb", c.max_gb, 1, 1 << 20);
}

void DiskFields(TomlReader& r, Disk& d) {
  r.String("id", d.id, {"a string", DiskIdProblem});
  r.String("category", d.category);
  r.String("uri", d.uri, {"a string (a disk URI)", CheckUri});
  r.Bytes("capacity", d.capacity_bytes, 0, kGiB << 24);
  r.String("mirror", d.mirror);
  r.Choice("role", d.role, {"primary", "mirror"});
  if (r.reading() && !r.IsSet("id")) r.Error("id", "is required");
  if (r.reading() && !r.IsSet("uri")) r.Error("uri", "is required");
}

void SpareFields(TomlReader& r, Spare& s) {
  r.String("id", s.id, {"a string", DiskIdProblem});
  r.String("uri", s.uri, {"a string (a disk URI)", CheckUri});
  r.Bytes("capacity", s.capacity_bytes, 0, kGiB << 24);
  if (r.reading() && !r.IsSet("id")) r.Error("id", "is required");
  if (r.reading() && !r.IsSet("uri")) r.Error("uri", "is required");
}

void S3Fields(TomlReader& r, S3Config& c) {
  r.String("endpoint", c.endpoint, {"a string (an http:// or https:// URL)", CheckHttpUrl});
  r.String("region", c.region);
  r.String("access_key", c.access_key);
  r.Secret("secret_key", c.secret_key, c.secret_key_file);
  r.Bool("path_style", c.path_style);
}

void CheckCategories(const Config& c, std::vector<std::string>& errors) {
  const auto& cats = c.disks.categories;
  const BillingConfig& b = c.billing;
  auto err = [&errors](size_t i, std::string_view key, std::string problem) {
    errors.push_back(fmt::format("disks.toml: category[{}].{}: {}", i, key, problem));
  };
  std::set<std::string> names;
  for (size_t i = 0; i < cats.size(); ++i) {
    if (!names.insert(cats[i].name).second)
      err(i, "name", fmt::format("\"{}\" is used twice", cats[i].name));
    if (cats[i].max_gb < cats[i].min_gb) {
      err(i, "max_gb",
          fmt::format("must be at least min_gb ({}), got {}", cats[i].min_gb, cats[i].max_gb));
    }
  }
  if (cats.size() < 2) {
    errors.push_back(
        "disks.toml: category: needs the free category and at least one paid category");
    return;
  }
  if (cats[0].min_gb != b.free_gb || cats[0].max_gb != b.free_gb) {
    err(0, "min_gb",
        fmt::format("the first category \"{}\" is the free plan and must be {}-{} GB "
                    "(billing.toml free_gb), got {}-{}",
                    cats[0].name, b.free_gb, b.free_gb, cats[0].min_gb, cats[0].max_gb));
  }
  if (cats[1].min_gb != b.min_gb) {
    err(1, "min_gb",
        fmt::format("the first paid category \"{}\" must start at billing.toml min_gb "
                    "({}), got {}",
                    cats[1].name, b.min_gb, cats[1].min_gb));
  }
  for (size_t i = 2; i < cats.size(); ++i) {
    const Category& prev = cats[i - 1];
    if (cats[i].min_gb != prev.max_gb + 1) {
      err(i, "min_gb",
          fmt::format("categories must be contiguous: \"{}\" must start at {} to follow "
                      "\"{}\" ({}-{} GB), got {}",
                      cats[i].name, prev.max_gb + 1, prev.name, prev.min_gb, prev.max_gb,
                      cats[i].min_gb));
    }
  }
  if (cats.back().max_gb != b.max_gb) {
    err(cats.size() - 1, "max_gb",
        fmt::format("the last category \"{}\" must end at billing.toml "
                    "max_gb ({}), got {}",
                    cats.back().name, b.max_gb, cats.back().max_gb));
  }
}

void CheckDisks(DisksConfig& d, std::vector<std::string>& errors) {
  auto err = [&errors](std::string_view what, size_t i, std::string_view key, std::string problem) {
    errors.push_back(fmt::format("disks.toml: {}[{}].{}: {}", what, i, key, problem));
  };
  std::map<std::string, size_t> index;
  std::map<std::string, std::string> uris;  // uri -> id
  std::set<std::string> categories;
  for (const auto& cat : d.categories) categories.insert(cat.name);
  for (size_t i = 0; i < d.disks.size(); ++i) {
    const Disk& disk = d.disks[i];
    if (!index.emplace(disk.id, i).second)
      err("disk", i, "id", fmt::format("\"{}\" is used twice", disk.id));
    auto [it, fresh] = uris.emplace(disk.uri, disk.id);
    if (!fresh)
      err("disk", i, "uri", fmt::format("\"{}\" is also disk \"{}\"", disk.uri, it->second));
  }
  for (size_t i = 0; i < d.spares.size(); ++i) {
    const Spare& s = d.spares[i];
    if (index.contains(s.id))
      err("spare", i, "id", fmt::format("\"{}\" is also a [[disk]] id", s.id));
    auto [it, fresh] = uris.emplace(s.uri, s.id);
    if (!fresh)
      err("spare", i, "uri", fmt::format("\"{}\" is also disk \"{}\"", s.uri, it->second));
  }
  std::map<std::string, std::string> primary_of;  // mirror id -> primary id
  for (size_t i = 0; i < d.disks.size(); ++i) {
    const Disk& disk = d.disks[i];
    if (disk.role != "primary") continue;
    if (!categories.contains(disk.category)) {
      err("disk", i, "category", fmt::format("\"{}\" is not a configured category", disk.category));
    }
    if (disk.mirror.empty()) {
      err("disk", i, "mirror", fmt::format("primary disk \"{}\" needs a mirror", disk.id));
    } else if (disk.mirror == disk.id) {
      err("disk", i, "mirror", fmt::format("disk \"{}\" cannot be its own mirror", disk.id));
    } else if (!index.contains(disk.mirror)) {
      err("disk", i, "mirror", fmt::format("\"{}\" is not the id of any [[disk]]", disk.mirror));
    } else if (d.disks[index[disk.mirror]].role != "mirror") {
      err("disk", i, "mirror",
          fmt::format("disk \"{}\" has role \"primary\", not \"mirror\"", disk.mirror));
    } else if (!primary_of.emplace(disk.mirror, disk.id).second) {
      err("disk", i, "mirror",
          fmt::format("\"{}\" is already the mirror of \"{}\"", disk.mirror,
                      primary_of[disk.mirror]));
    }
  }
  for (size_t i = 0; i < d.disks.size(); ++i) {
    Disk& m = d.disks[i];
    if (m.role != "mirror") continue;
    auto p = primary_of.find(m.id);
    if (p == primary_of.end()) {
      err("disk", i, "role",
          fmt::format("mirror disk \"{}\" is not the mirror of any primary", m.id));
      continue;
    }
    const Disk& primary = d.disks[index[p->second]];
    if (!m.mirror.empty() && m.mirror != primary.id) {
      err("disk", i, "mirror",
          fmt::format("must be \"\" or its primary \"{}\", got \"{}\"", primary.id, m.mirror));
    }
    if (!m.category.empty() && m.category != primary.category) {
      err("disk", i, "category",
          fmt::format("must match its primary \"{}\" (\"{}\"), got \"{}\"", primary.id,
                      primary.category, m.category));
    }
    m.mirror = primary.id;
    m.category = primary.category;
  }
}

}  // namespace

std::vector<Category> DefaultCategories() {
  return {{"A", 1, 1}, {"B", 10, 24}, {"C", 25, 49}, {"D", 50, 74}, {"E", 75, 100}};
}

void DisksFields(TomlReader& r, DisksConfig& c) {
  r.Float("near_full_ratio", c.near_full_ratio, 0.1, 1.0);
  r.Int("health_interval_s", c.health_interval_s, 1, 86400);
  r.Int("fail_after", c.fail_after, 1, 1000);
  r.String("scrub_at", c.scrub_at, {"a string \"HH:MM\"", CheckDailyTime});
  r.Table("s3", [&c](TomlReader& t) { S3Fields(t, c.s3); });
  r.Tables("category", c.categories, CategoryFields);
  r.Tables("disk", c.disks, DiskFields);
  r.Tables("spare", c.spares, SpareFields);
}

void ResolveDisks(Config& c, std::vector<std::string>& errors) {
  DisksConfig& d = c.disks;
  std::filesystem::path data(c.server.data_dir);
  if (d.categories.empty()) d.categories = DefaultCategories();
  // The embedded layout: one primary and its mirror per category, plus two spares.
  if (d.disks.empty()) {
    for (const auto& cat : d.categories) {
      std::string id;
      for (char ch : cat.name)
        id += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      id += "1";
      d.disks.push_back({id, cat.name, "file:disks/" + id, kDefaultCapacity, id + "m", "primary"});
      d.disks.push_back(
          {id + "m", cat.name, "file:disks/" + id + "m", kDefaultCapacity, id, "mirror"});
    }
    if (d.spares.empty()) {
      d.spares.push_back({"spare1", "file:disks/spare1", kDefaultCapacity});
      d.spares.push_back({"spare2", "file:disks/spare2", kDefaultCapacity});
    }
  }
  for (auto& disk : d.disks) disk.uri = ResolveDiskUri(disk.uri, data);
  for (auto& spare : d.spares) spare.uri = ResolveDiskUri(spare.uri, data);
  CheckCategories(c, errors);
  CheckDisks(d, errors);
}

Result<void> RequireMountedDiskDir(std::string_view uri) {
  if (!uri.starts_with("file:/")) return {};
  uri.remove_prefix(5);
  std::error_code ec;
  if (std::filesystem::is_directory(std::filesystem::path(uri), ec)) return {};
  return Fail(Errc::kInvalidArgument,
              "{} is not a directory: mount the disk there (or create the directory) first, then "
              "attach it",
              uri);
}

std::string ResolveDiskUri(const std::string& uri, const std::filesystem::path& data_dir) {
  if (!uri.starts_with("file:")) return uri;
  std::string path = uri.substr(5);
  if (path.starts_with("//")) path = path.substr(2);
  std::filesystem::path p(path);
  return "file:" + (p.is_relative() ? data_dir / p : p).string();
}

}  // namespace nimbus::config
