// SPDX-License-Identifier: AGPL-3.0-or-later
#include <cctype>
#include <filesystem>

#include "config/fields.h"
#include "util/ip_ranges.h"

namespace nimbus::config {
namespace {

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s) {
    if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
  }
  return true;
}

}  // namespace

std::string CheckHostPort(const std::string& v) {
  std::string problem =
      fmt::format("must be \"host:port\" with a port from 0 to 65535, got \"{}\"", v);
  size_t colon = v.rfind(':');
  if (colon == std::string::npos || colon == 0) return problem;
  std::string_view host(v.data(), colon);
  std::string_view port = std::string_view(v).substr(colon + 1);
  if (host.front() == '[' && host.back() != ']') return problem;
  if (host.front() != '[' && host.find(':') != std::string_view::npos) return problem;
  if (!AllDigits(port) || port.size() > 5 || std::stoi(std::string(port)) > 65535) return problem;
  return "";
}

std::string CheckDailyTime(const std::string& v) {
  bool ok = v.size() == 5 && v[2] == ':' && AllDigits(v.substr(0, 2)) && AllDigits(v.substr(3));
  if (ok) ok = std::stoi(v.substr(0, 2)) < 24 && std::stoi(v.substr(3)) < 60;
  return ok ? ""
            : fmt::format("must be a daily time \"HH:MM\" (UTC, 00:00 to 23:59), got \"{}\"", v);
}

std::string CheckHttpUrl(const std::string& v) {
  if (v.empty()) return "";
  for (std::string_view scheme : {"http://", "https://"}) {
    if (v.starts_with(scheme) && v.size() > scheme.size() && v[scheme.size()] != '/') return "";
  }
  return fmt::format("must be an http:// or https:// URL with a host, got \"{}\"", v);
}

std::string MaskUrlPassword(const std::string& v) {
  size_t scheme = v.find("://");
  if (scheme == std::string::npos) return v;
  size_t start = scheme + 3;
  size_t end = v.find_first_of("/?", start);
  std::string out = v;
  size_t at = out.rfind('@', end == std::string::npos ? std::string::npos : end);
  if (at != std::string::npos && at > start) {
    size_t colon = out.find(':', start);
    if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  // libpq also accepts ?password=… in the query.
  size_t q = out.find("password=");
  if (q != std::string::npos) {
    size_t value_end = out.find('&', q);
    out.replace(q + 9, (value_end == std::string::npos ? out.size() : value_end) - q - 9, "***");
  }
  return out;
}

std::string CheckDatabaseUrl(const std::string& v) {
  if (v.empty()) return "";
  if (v.starts_with("sqlite:") && v.size() > 7) return "";
  if (v.starts_with("postgres://") || v.starts_with("postgresql://")) return "";
  return fmt::format(
      "must be \"sqlite:<path>\", \"postgres://…\" or \"postgresql://…\", got \"{}\"",
      MaskUrlPassword(v));
}

void ServerFields(TomlReader& r, ServerConfig& c) {
  r.String("listen", c.listen, {"a string \"host:port\"", CheckHostPort});
  r.String("public_url", c.public_url, {"a string (an http:// or https:// URL)", CheckHttpUrl});
  r.String("data_dir", c.data_dir, {"a string (a directory)", [](const std::string& v) {
                                      return v.empty() ? std::string("must not be empty")
                                                       : std::string();
                                    }});
  r.String("database", c.database,
           {"a string (a database URL)", CheckDatabaseUrl, MaskUrlPassword});
  r.Int("db_busy_timeout_ms", c.db_busy_timeout_ms, 0, 600000);
  r.Int("db_readers", c.db_readers, 1, 64);
  r.String("db_maintenance_at", c.db_maintenance_at, {"a string \"HH:MM\"", CheckDailyTime});
  r.Int("io_threads", c.io_threads, 1, 256);
  r.Int("worker_threads", c.worker_threads, 1, 1024);
  r.Int("header_timeout_s", c.header_timeout_s, 1, 3600);
  r.Int("idle_timeout_s", c.idle_timeout_s, 1, 86400);
  r.Int("body_timeout_s", c.body_timeout_s, 1, 3600);
  r.Int("max_header_bytes", c.max_header_bytes, 1024, 1 << 20);
  r.Int("max_json_body_bytes", c.max_json_body_bytes, 1024, int64_t{1} << 30);
  r.Int("max_connections", c.max_connections, 1, 1000000);
  r.Int("shutdown_grace_s", c.shutdown_grace_s, 0, 3600);
  r.Choice("log_format", c.log_format, {"text", "json"});
  r.Choice("log_level", c.log_level, {"trace", "debug", "info", "warn", "error"});
  r.Bool("access_log", c.access_log);
  r.String("trusted_proxies", c.trusted_proxies,
           {"a string of IP addresses and CIDR ranges, comma-separated", [](const std::string& v) {
              auto parsed = IpRanges::Parse(v);
              return parsed ? std::string() : parsed.error().message;
            }});
  r.Path("tls_cert", c.tls_cert);
  r.Path("tls_key", c.tls_key);
  if (!r.reading()) return;

  if (c.tls_cert.empty() != c.tls_key.empty()) {
    const char* missing = c.tls_cert.empty() ? "tls_cert" : "tls_key";
    const char* present = c.tls_cert.empty() ? "tls_key" : "tls_cert";
    r.Error(missing, fmt::format("must be set together with {} (both or neither)", present));
  }
  for (const auto* key : {"tls_cert", "tls_key"}) {
    const std::string& path = std::string_view(key) == "tls_cert" ? c.tls_cert : c.tls_key;
    std::error_code ec;
    if (!path.empty() && !std::filesystem::is_regular_file(path, ec)) {
      r.Error(key, fmt::format("file \"{}\" does not exist", path));
    }
  }
}

void ResolveServer(Config& c) {
  ServerConfig& s = c.server;
  // An absolute data_dir makes every path derived from it absolute, so resolving is idempotent
  // (a described config loads back unchanged) and `config check` shows where data really goes.
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(s.data_dir, ec).lexically_normal();
  if (!ec) s.data_dir = abs.string();
  while (s.data_dir.size() > 1 && s.data_dir.ends_with('/')) s.data_dir.pop_back();
  s.public_url_derived = s.public_url.empty();
  if (s.public_url.empty()) {
    s.public_url = (s.tls_cert.empty() ? "http://" : "https://") + s.listen;
  }
  while (s.public_url.ends_with('/')) s.public_url.pop_back();
  std::filesystem::path data(s.data_dir);
  if (s.database.empty()) s.database = "sqlite:" + (data / "nimbus.db").string();
  if (c.email.mail_dir.empty()) {
    c.email.mail_dir = (data / "mail").string();
  } else if (std::filesystem::path(c.email.mail_dir).is_relative()) {
    c.email.mail_dir = (data / c.email.mail_dir).string();
  }
}

}  // namespace nimbus::config
