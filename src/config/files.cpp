// SPDX-License-Identifier: AGPL-3.0-or-later
#include "config/fields.h"

namespace nimbus::config {

void FilesFields(TomlReader& r, FilesConfig& c) {
  constexpr uint64_t kKiB = 1024, kMiB = kKiB << 10, kGiB = kMiB << 10, kTiB = kGiB << 10;
  r.Int("trash_retention_days", c.trash_retention_days, 0, 36500);
  r.String("trash_purge_at", c.trash_purge_at, {"a string \"HH:MM\"", CheckDailyTime});
  r.Bytes("max_upload_bytes", c.max_upload_bytes, 1, 1024 * kTiB);
  r.Bytes("upload_chunk_bytes", c.upload_chunk_bytes, 64 * kKiB, kGiB);
  r.Bytes("tus_threshold_bytes", c.tus_threshold_bytes, 0, 1024 * kTiB);
  r.Bytes("io_buffer_bytes", c.io_buffer_bytes, 4 * kKiB, 64 * kMiB);
  r.Int("tus_expiry_h", c.tus_expiry_h, 1, 24 * 365);
  r.String("tus_cleanup_at", c.tus_cleanup_at, {"a string \"HH:MM\"", CheckDailyTime});
  r.Int("zip_max_concurrent", c.zip_max_concurrent, 1, 1024);
  r.Int("zip_compression_level", c.zip_compression_level, 0, 9);
  r.Int("list_default_limit", c.list_default_limit, 1, 100000);
  r.Int("list_max_limit", c.list_max_limit, 1, 100000);
  r.Bytes("thumbnail_max_source_bytes", c.thumbnail_max_source_bytes, 0, 4 * kGiB);
  r.Bytes("thumbnail_cache_bytes", c.thumbnail_cache_bytes, 0, 1024 * kTiB);
  r.Int("thumbnail_concurrent", c.thumbnail_concurrent, 1, 64);
  r.String("thumbnail_sweep_at", c.thumbnail_sweep_at, {"a string \"HH:MM\"", CheckDailyTime});
  if (r.reading() && c.list_default_limit > c.list_max_limit) {
    r.Error("list_default_limit", fmt::format("must not exceed list_max_limit ({}), got {}",
                                              c.list_max_limit, c.list_default_limit));
  }
}

}  // namespace nimbus::config
