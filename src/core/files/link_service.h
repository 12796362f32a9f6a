// LinkService: public links (api.md "Sharing"). The owner creates a link to a node with an
// optional expiry and password; anyone with its URL (a token of 192 random bits) reads the node
// and everything under it through FileService as Caller::ForLink (the access rule of access.h
// confines it to that tree, read only). A password is hashed like account passwords and checked
// on every request (X-Link-Password); wrong passwords are limited to 5 per hour per link and IP.
// Expired or deleted links, and links whose node is in the trash, are kNotFound. Each download
// is counted, and every access is in the link's activity.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/files/file_service.h"
#include "core/files/share_service.h"
#include "core/password_hasher.h"
#include "db/database.h"
#include "util/clock.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::core::files {

namespace net = boost::asio;

struct Link {
  std::string id;
  std::string token;
  std::string url;                         // <public_url>/s/<token>
  Node node;                               // As the owner sees it.
  std::optional<std::int64_t> expires_at;  // ms since the epoch (UTC); nullopt: never.
  bool has_password = false;
  std::int64_t download_count = 0;
  std::int64_t created_at = 0;
  // For a visitor who opened a link with a password (Describe): a key that opens its /content
  // for kAccessKeyLifetime without the password, for plain download and preview URLs, so that
  // the password itself never goes into a URL (history, logs, Referer). "" otherwise.
  std::string access_key;
};

inline constexpr std::chrono::hours kAccessKeyLifetime{12};

struct LinkPage {
  std::vector<Link> items;  // Oldest first.
  std::optional<std::string> next_cursor;
};

struct LinkDeps {
  db::Database& db;
  WorkerPool& workers;
  const Clock& clock;
  FileService& files;
  PasswordHasher& hasher;
  const std::string& public_url;  // Read when a URL is made (may be set after construction).
};

// Thread-safe. Deps must outlive it.
class LinkService {
 public:
  static constexpr int kWrongPasswordsPerHour = 5;

  explicit LinkService(LinkDeps deps) : deps_(deps) {}

  // A link to `node_id` of `owner_id` (a file or a folder; not "root"). kNotFound, kForbidden
  // (not the owner), kInvalidArgument (expiry in the past; empty password).
  net::awaitable<Result<Link>> Create(std::int64_t owner_id, std::string node_id,
                                      std::optional<std::int64_t> expires_at,
                                      std::optional<std::string> password);
  // The owner's links to live nodes (all of one node with `node_id`), oldest first, paged.
  net::awaitable<Result<LinkPage>> List(std::int64_t owner_id, std::string node_id, int limit,
                                        std::string cursor);
  // Deletes it (the owner only; kNotFound otherwise): its URL is 404 from now on.
  net::awaitable<Result<void>> Delete(std::int64_t owner_id, std::string link_id);
  // The newest accesses through the link; owner only.
  net::awaitable<Result<std::vector<ActivityEntry>>> Activity(std::int64_t owner_id,
                                                              std::string link_id, int limit);

  // ---- Visitors ----------------------------------------------------------------------------
  // The caller a visitor from `ip` acts as when opening `token` with `password` ("" when none
  // was sent). kNotFound (unknown, deleted, expired, node in the trash); kPasswordRequired (a
  // password is set, none sent); kInvalidCredentials (wrong); kTooManyAttempts with
  // `*retry_after_s` (5 wrong passwords in the last hour from this IP for this link).
  // Instead of the password, `access_key` (from Describe) opens it until the key expires
  // (kPasswordRequired after that, or when the key is not this link's).
  net::awaitable<Result<Caller>> Open(std::string token, std::string password, std::string ip,
                                      int* retry_after_s = nullptr, std::string access_key = {});
  // The link's expiry and whether it has a password, for the visitor's page (after Open), with
  // an access_key when it has a password.
  net::awaitable<Result<Link>> Describe(const Caller& visitor);
  // Counts one download through the link (a whole file or a zip).
  void CountDownload(const Caller& visitor);

 private:
  LinkDeps deps_;
};

}  // namespace nimbus::core::files
