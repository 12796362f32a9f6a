// ServerConfig: server.toml, the HTTP listener, data directory, database, limits, TLS and logging.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>

namespace nimbus::config {

struct ServerConfig {
  std::string listen = "127.0.0.1:8080";  // host:port ("[::1]:8080"); port 0 picks a free port.
  // Base of links in mails. LoadConfig resolves "" to http(s)://<listen>, without a trailing '/'.
  std::string public_url;
  bool public_url_derived = true;          // True when public_url came from listen (not a key).
  std::string data_dir = "./nimbus-data";  // LoadConfig makes it absolute (from the working dir).
  // "sqlite:<path>" | "postgres://…" | "postgresql://…". LoadConfig resolves "" to
  // "sqlite:<data_dir>/nimbus.db".
  std::string database;
  int db_busy_timeout_ms = 5000;            // SQLite busy timeout.
  int db_readers = 4;                       // Reader connections beside the one writer.
  std::string db_maintenance_at = "03:30";  // Daily HH:MM UTC: database maintenance job.
  int io_threads = 2;
  int worker_threads = 8;
  int header_timeout_s = 10;
  int idle_timeout_s = 60;
  int body_timeout_s = 30;  // A body read without progress for this long is cut.
  int64_t max_header_bytes = 16384;
  int64_t max_json_body_bytes = 1 << 20;
  int max_connections = 1024;
  int shutdown_grace_s = 10;
  std::string log_format = "text";  // "text" | "json".
  std::string log_level = "info";   // "trace" | "debug" | "info" | "warn" | "error".
  bool access_log = true;
  // Reverse proxies whose X-Forwarded-For names the client (addresses and CIDR ranges, comma-
  // separated; "" trusts none): rate limits, sessions and logs then see the client's address.
  std::string trusted_proxies;
  std::string tls_cert;  // PEM paths; both or neither; they must exist.
  std::string tls_key;
};

}  // namespace nimbus::config
