// SPDX-License-Identifier: AGPL-3.0-or-later
// `nimbus admin backup DEST`: a consistent copy of the catalog (accounts, the file tree, shares,
// links, billing, disks) while the server runs. SQLite: VACUUM INTO a new file, a snapshot of
// one moment that needs no pause of the server (WAL readers do not block its writers), then
// checked with PRAGMA integrity_check. The files' bytes are not in it: they are on the mirrored
// disks. PostgreSQL: pg_dump is the tool, and the command says so.
#include <fmt/core.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <string>

#include "commands.h"
#include "db/sqlite/sqlite_database.h"
#include "runtime.h"

namespace nimbus::app {
namespace {

namespace fs = std::filesystem;

// "nimbus-20261127-181402.db" (UTC).
std::string BackupName() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32] = {};
  std::strftime(buf, sizeof buf, "%Y%m%d-%H%M%S", &tm);
  return fmt::format("nimbus-{}.db", buf);
}

// A string literal for SQL: single quotes doubled.
std::string SqlQuoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

}  // namespace

int BackupCatalog(const config::Config& config, const std::string& dest) {
  boost::asio::io_context ioc;
  auto rt = OpenRuntime(config, ioc.get_executor(),
                        RuntimeOptions{.existing_data_only = true, .mail_alerts = false});
  if (!rt) {
    fmt::print(stderr, "nimbus: {}\n", rt.error().message);
    return 1;
  }
  db::Database& db = *(*rt)->db;
  if (db.Dialect() != "sqlite") {
    fmt::print(stderr,
               "nimbus: the catalog is on PostgreSQL: back it up with pg_dump (for example "
               "`pg_dump --format=custom --file=nimbus.dump DATABASE_URL`), which takes a "
               "consistent copy while the server runs\n");
    return 2;
  }
  std::error_code ec;
  fs::path target = dest;
  if (fs::is_directory(target, ec)) target /= BackupName();
  if (fs::exists(target, ec)) {
    fmt::print(stderr,
               "nimbus: {} exists already; nothing was written (give a new file name "
               "or a directory)\n",
               target.string());
    return 2;
  }
  if (!target.has_parent_path() ||
      !fs::is_directory(target.parent_path().empty() ? fs::path(".") : target.parent_path(), ec)) {
    fmt::print(stderr, "nimbus: there is no directory {} to write the copy into\n",
               target.parent_path().string());
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  if (auto copied = db.ExecMaintenance("VACUUM INTO " + SqlQuoted(target.string())); !copied) {
    fs::remove(target, ec);  // A partial copy is no backup.
    fmt::print(stderr, "nimbus: the copy to {} failed: {}\n", target.string(),
               copied.error().message);
    return 1;
  }
  // The copy is read back whole before it is called a backup.
  auto check = db::SqliteDatabase::Open(target.string(), db::OpenOptions{.reader_count = 1});
  std::string verdict;
  if (!check) {
    verdict = check.error().message;
  } else {
    auto rows = (*check)->ExecMaintenance("PRAGMA integrity_check");
    if (!rows) {
      verdict = rows.error().message;
    } else if (rows->empty() || (*rows)[0].Text(0) != "ok") {
      verdict = rows->empty() ? "no answer" : (*rows)[0].Text(0);
    }
  }
  if (!verdict.empty()) {
    fmt::print(stderr, "nimbus: the copy {} does not read back whole ({}); it was removed\n",
               target.string(), verdict);
    fs::remove(target, ec);
    return 1;
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start)
                      .count();
  fmt::print(
      "catalog copied to {} ({} bytes, {} ms) and checked. It holds the accounts, folders and "
      "file names, shares, links, billing and disks; the files' bytes are on the mirrored "
      "disks. To restore: stop the server, put the copy in place of {}/nimbus.db (removing "
      "nimbus.db-wal and nimbus.db-shm), start it, and run `nimbus admin disk scrub --all`.\n",
      target.string(), fs::file_size(target, ec), ms, config.server.data_dir);
  return 0;
}

}  // namespace nimbus::app
