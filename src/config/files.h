// FilesConfig: files.toml, trash retention, upload limits, resumable (tus) uploads, zip, listing.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>

namespace nimbus::config {

struct FilesConfig {
  int trash_retention_days = 30;                      // 0: the next purge empties every trash.
  std::string trash_purge_at = "03:00";               // Daily HH:MM UTC.
  uint64_t max_upload_bytes = uint64_t{100} << 30;    // Largest single file.
  uint64_t upload_chunk_bytes = uint64_t{8} << 20;    // Chunk size the web app sends with tus.
  uint64_t tus_threshold_bytes = uint64_t{16} << 20;  // Web uploads above this use tus.
  uint64_t io_buffer_bytes = uint64_t{256} << 10;     // Streaming buffer per upload/download.
  int tus_expiry_h = 24;                 // Unfinished tus uploads idle this long are removed.
  std::string tus_cleanup_at = "03:15";  // Daily HH:MM UTC: expired tus uploads job.
  int zip_max_concurrent = 4;            // Folder zips streaming at once (server-wide).
  int zip_compression_level = 0;         // 0 = store (fast; most files are compressed already).
  int list_default_limit = 200;          // Page size of children lists without ?limit=.
  int list_max_limit = 1000;
  // Thumbnails of JPEG and PNG pictures (GET /nodes/{id}/thumbnail), cached under the data dir.
  uint64_t thumbnail_max_source_bytes = uint64_t{64} << 20;  // Larger pictures get none.
  uint64_t thumbnail_cache_bytes = uint64_t{1} << 30;        // The cache is trimmed to this.
  int thumbnail_concurrent = 2;  // Made at the same time (each holds its picture in memory).
  std::string thumbnail_sweep_at = "03:45";  // Daily HH:MM UTC: the thumbnail-cache job.
};

}  // namespace nimbus::config
