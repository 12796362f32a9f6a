// SPDX-License-Identifier: AGPL-3.0-or-later
// Content: PUT /nodes/{id}/content (upload; the checks and the quota reservation come before
// the body is read, so `Expect: 100-continue` clients get 507/409/413 without sending it),
// GET /nodes/{id}/content (a file with ETag/Range/Content-Disposition, a folder as a streamed
// zip) and POST /nodes/{id}/copy.
#include <fmt/core.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_set>

#include "api/auth_middleware.h"
#include "api/content_headers.h"
#include "api/file_handlers.h"
#include "api/json_codec.h"
#include "core/files/thumbnails.h"
#include "util/rfc3339.h"

namespace nimbus::api {

namespace json = boost::json;
using core::files::Node;

namespace {

// The request body as the storage engine's ByteSource.
class RequestSource final : public storage::ByteSource {
 public:
  explicit RequestSource(http::Request& req) : req_(req) {}
  net::awaitable<Result<std::size_t>> Read(std::span<char> buf) override {
    co_return co_await req_.ReadSome(buf);
  }

 private:
  http::Request& req_;
};

// A storage ByteSink over the response's BodyWriter: blob bytes go straight to the socket.
class ResponseSink final : public storage::ByteSink {
 public:
  explicit ResponseSink(http::BodyWriter& w) : w_(w) {}
  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    co_return co_await w_.Write(data);
  }

 private:
  http::BodyWriter& w_;
};

http::Response Err(const Error& e, const http::Request& req) {
  http::Response res = http::ErrorResponse(e, req.request_id());
  // Answered without reading the body: close rather than drain a large upload.
  if (!req.body_complete()) res.close = true;
  return res;
}

Result<core::files::OnConflict> ParseOnConflict(const std::optional<std::string>& v) {
  using core::files::OnConflict;
  if (!v || *v == "fail") return OnConflict::kFail;
  if (*v == "replace") return OnConflict::kReplace;
  if (*v == "rename") return OnConflict::kRename;
  return Fail(Errc::kInvalidArgument, "on_conflict must be fail, replace or rename, not '{}'.", *v);
}

// Folder zips streaming now (files.zip_max_concurrent), in all and by whom: one person (a user,
// or a link's visitors from one address) holds at most half of them, so that their slow or stuck
// downloads do not shut everyone else out (QA pass 21b).
struct ZipSlots {
  std::mutex mu;
  int active = 0;
  std::map<std::string, int, std::less<>> by;
};
ZipSlots g_zips;

class ZipSlot {
 public:
  explicit ZipSlot(std::string who) : who_(std::move(who)) {}
  ~ZipSlot() {
    std::lock_guard lock(g_zips.mu);
    --g_zips.active;
    if (--g_zips.by[who_] <= 0) g_zips.by.erase(who_);
  }
  // A slot for `who`, or nullptr with the sentence that says why not.
  static std::shared_ptr<ZipSlot> Take(std::string who, int max, std::string& why) {
    max = std::max(max, 1);
    const int per_person = std::max(1, max / 2);
    std::lock_guard lock(g_zips.mu);
    if (g_zips.active >= max) {
      why =
          "Too many folder downloads are running on this server right now; yours can start "
          "when one of them ends. Try again in a few seconds.";
      return nullptr;
    }
    int& mine = g_zips.by[who];
    if (mine >= per_person) {
      why = mine == 1 ? std::string(
                            "You have 1 folder download running already; let it finish "
                            "first.")
                      : fmt::format(
                            "You have {} folder downloads running already; let one of "
                            "them finish first.",
                            mine);
      return nullptr;
    }
    ++mine;
    ++g_zips.active;
    return std::make_shared<ZipSlot>(std::move(who));
  }

 private:
  std::string who_;
};

}  // namespace

http::Response ZipResponse(const FileApi& api, const Node& folder, const http::Request& req) {
  // ?only=id,id,…: a selection of the items directly in the folder, as one zip.
  std::vector<std::string> only;
  if (auto list = req.query("only"); list) {
    std::unordered_set<std::string_view> seen;
    std::string_view rest = *list;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      std::string_view id = rest.substr(0, comma);
      // An id given twice is one item (and the zip's name counts it once).
      if (!id.empty() && seen.insert(id).second) only.emplace_back(id);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
    if (only.empty()) {  // Not the whole folder: a selection that lost its items (a bug).
      return http::ErrorResponse(Error{Errc::kInvalidArgument,
                                       "?only= names no item: give the ids of the items to "
                                       "download, or leave it out for the whole folder."},
                                 req.request_id());
    }
    if (only.size() > 10'000) {
      return http::ErrorResponse(
          Error{Errc::kInvalidArgument, "Select at most 10,000 items for one download."},
          req.request_id());
    }
  }
  const core::Principal* who = CurrentPrincipal(req);
  std::string why;
  // Released with the response (also for HEAD).
  std::shared_ptr<ZipSlot> slot =
      ZipSlot::Take(who ? "user " + std::to_string(who->user.id) : "from " + req.remote_address(),
                    api.config.zip_max_concurrent, why);
  if (!slot) {
    http::Response busy = http::ErrorResponse(503, "unavailable", why);
    busy.SetHeader("Retry-After", "5");
    return busy;
  }
  http::PushBody body;
  core::files::FileService* files = &api.files;
  const std::size_t count = only.size();
  body.produce = [files, folder, slot,
                  only = std::move(only)](http::BodyWriter& w) -> net::awaitable<Result<void>> {
    ResponseSink sink(w);
    co_return co_await files->WriteZip(folder, sink, only);
  };
  http::Response res;
  res.status = 200;
  res.body = std::move(body);
  res.SetHeader("Content-Type", "application/zip");
  res.SetHeader("Content-Disposition",
                ContentDisposition(core::files::ZipName(folder, count), false));
  res.SetHeader("Cache-Control", "no-store");
  return res;
}

http::Response FileResponse(const FileApi& api, const Node& file, const http::Request& req) {
  const std::string etag = file.etag();
  const auto size = static_cast<std::uint64_t>(file.size);
  http::Response res;
  res.SetHeader("ETag", etag);
  // The file's modified time (its own, as uploaded with X-Modified-At): `curl -R`, `wget` and
  // download managers give it to the saved file. Not a validator here: an upload may set any
  // time, so an If-Range with a date gets the whole file (only the ETag is strong).
  res.SetHeader("Last-Modified", FormatHttpDate(file.modified_at));
  res.SetHeader("Accept-Ranges", "bytes");
  res.SetHeader("Cache-Control", "private, no-cache");
  // If-Match: only that version (RFC 9110 13.1.1): a client that resumes a download by ranges
  // must not splice two versions of the file.
  if (req.has_header("If-Match") && !file.MatchesIfMatch(req.header("If-Match"))) {
    http::Response refused = http::ErrorResponse(
        412, "precondition_failed",
        fmt::format("'{}' changed since you read it (its ETag is now {}).", file.name, etag));
    refused.SetHeader("ETag", etag);
    return refused;
  }
  if (IfNoneMatchHits(req.header("If-None-Match"), etag)) {
    res.status = 304;
    res.body = std::string();
    return res;
  }
  std::string type = ContentTypeFor(file.name);
  bool as_inline = req.query("inline") == "1" && InlineSafe(type);
  res.SetHeader("Content-Type", type);
  res.SetHeader("Content-Disposition", ContentDisposition(file.name, as_inline));
  if (as_inline) {
    // The web app's preview shows a PDF in a frame: inline content (never HTML or SVG) may be
    // framed by our own pages, and by no one else.
    res.SetHeader(
        "Content-Security-Policy",
        "default-src 'self'; frame-ancestors 'self'; base-uri 'self'; form-action 'self'");
    res.SetHeader("X-Frame-Options", "SAMEORIGIN");
  }
  std::uint64_t offset = 0;
  std::uint64_t length = size;
  res.status = 200;
  // A Range with an If-Range that no longer matches gets the whole content.
  if (req.has_header("Range") &&
      (!req.has_header("If-Range") || IfRangeMatches(req.header("If-Range"), etag))) {
    RangeRequest range = ParseRange(req.header("Range"), size);
    if (range.kind == RangeRequest::Kind::kUnsatisfiable) {
      http::Response bad = http::ErrorResponse(
          Error{Errc::kRangeNotSatisfiable,
                fmt::format("The requested range is outside the file ({} bytes).", size)},
          req.request_id());
      bad.SetHeader("Content-Range", fmt::format("bytes */{}", size));
      bad.SetHeader("Accept-Ranges", "bytes");
      return bad;
    }
    if (range.kind == RangeRequest::Kind::kSatisfiable) {
      offset = range.first;
      length = range.length();
      res.status = 206;
      res.SetHeader("Content-Range", fmt::format("bytes {}-{}/{}", range.first, range.last, size));
    }
  }
  http::PushBody body;
  body.content_length = length;
  core::files::FileService* files = &api.files;
  body.produce = [files, file, offset,
                  length](http::BodyWriter& w) -> net::awaitable<Result<void>> {
    ResponseSink sink(w);
    co_return co_await files->ReadContent(file, storage::ByteRange{offset, length}, sink);
  };
  res.body = std::move(body);
  return res;
}

namespace {

// The optional headers of an upload into `up`: If-Match (replace that version only; implies
// on_conflict=replace), X-Modified-At (the file's own time) and X-Checksum-Sha256 (checked
// before the body is read). kInvalidArgument with the sentence for a bad one.
Result<void> ReadUploadHeaders(const http::Request& req, core::files::UploadRequest& up) {
  // If-Match: replace that version of the file only (a sync client's safe update).
  if (req.has_header("If-Match")) {
    if (req.query("on_conflict") && up.on_conflict != core::files::OnConflict::kReplace) {
      return std::unexpected(
          Error{Errc::kInvalidArgument,
                "If-Match replaces the file it names: leave on_conflict out or set it "
                "to replace."});
    }
    up.if_match = std::string(req.header("If-Match"));
    up.on_conflict = core::files::OnConflict::kReplace;
  }
  // X-Modified-At (RFC 3339): when the file last changed where it comes from, kept as its
  // modified time (photos keep their dates), as Nextcloud's X-OC-MTime does.
  if (req.has_header("X-Modified-At")) {
    auto when = ParseClientModifiedAt(req.header("X-Modified-At"));
    if (!when) {
      return std::unexpected(
          Error{Errc::kInvalidArgument, fmt::format("X-Modified-At must be {}.", kClientTimeRule)});
    }
    up.modified_at = *when;
  }
  // X-Checksum-Sha256: 64 hex digits, either case; checked before the body is read.
  up.expected_sha256 = std::string(req.header("X-Checksum-Sha256"));
  if (!up.expected_sha256.empty()) {
    const bool hex =
        up.expected_sha256.size() == 64 && std::ranges::all_of(up.expected_sha256, [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) != 0;
        });
    if (!hex) {
      return std::unexpected(
          Error{Errc::kInvalidArgument,
                "X-Checksum-Sha256 must be the SHA-256 of the file as 64 hex digits."});
    }
    for (char& c : up.expected_sha256)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return {};
}

}  // namespace

net::awaitable<http::Response> PutContent(const FileApi& api, http::Request& req) {
  const core::Principal* who = CurrentPrincipal(req);
  if (who == nullptr) co_return Err(Error{Errc::kUnauthenticated, "sign in first"}, req);
  core::files::UploadRequest up;
  up.caller = who->user.id;
  up.parent_id = std::string(req.path_param("id"));
  auto path = req.query("path");
  if (path && path->empty()) {
    co_return Err(Error{Errc::kInvalidArgument, "The query parameter 'path' is empty."}, req);
  }
  up.path = path.value_or("");
  auto rule = ParseOnConflict(req.query("on_conflict"));
  if (!rule) co_return Err(rule.error(), req);
  up.on_conflict = *rule;
  // No path: {id} is the file to replace (a new version, kept under its name and id).
  if (!path && !req.query("on_conflict")) up.on_conflict = core::files::OnConflict::kReplace;
  if (auto bad = ReadUploadHeaders(req, up); !bad) co_return Err(bad.error(), req);
  up.declared_size = req.content_length();
  if (!up.declared_size && !req.has_body()) up.declared_size = 0;  // No body: an empty file.
  // Before a byte of the body: parent, names, conflict, size limit, quota reservation.
  auto reservation = co_await api.files.PrepareUpload(up);
  if (!reservation) co_return Err(reservation.error(), req);
  up.reservation_id = *reservation;
  RequestSource body(req);
  auto uploaded = co_await api.files.Upload(up, body);
  if (!uploaded) {
    (void)co_await api.files.Release(*reservation);  // Ours: Upload leaves it on failure.
    co_return Err(uploaded.error(), req);
  }
  co_return http::JsonResponse(uploaded->replaced ? 200 : 201, NodeJson(uploaded->node, who->user));
}

net::awaitable<http::Response> GetContent(const FileApi& api, http::Request& req) {
  const core::Principal* who = CurrentPrincipal(req);
  if (who == nullptr) co_return Err(Error{Errc::kUnauthenticated, "sign in first"}, req);
  auto node = co_await api.files.Get(who->user.id, std::string(req.path_param("id")));
  if (!node) co_return Err(node.error(), req);
  api.files.NoteActivity(who->user.id, *node, node->is_folder() ? "zip" : "download");
  if (node->is_folder()) co_return ZipResponse(api, *node, req);
  co_return FileResponse(api, *node, req);
}

net::awaitable<http::Response> ThumbnailResponse(const FileApi& api, const Node& file,
                                                 const http::Request& req) {
  using core::files::Thumbnails;
  int side = Thumbnails::kLarge;
  if (auto size = req.query("size")) {
    if (*size == "64") {
      side = Thumbnails::kSmall;
    } else if (*size != "256") {
      co_return http::ErrorResponse(400, "invalid_argument",
                                    "size must be 64 or 256 (pixels on the longer side).");
    }
  }
  if (api.thumbnails == nullptr || !file.is_file()) {
    co_return http::ErrorResponse(404, "no_thumbnail",
                                  file.is_file() ? fmt::format("'{}' has no thumbnail.", file.name)
                                                 : std::string("A folder has no thumbnail."));
  }
  // The thumbnail depends only on the content and the size.
  const std::string etag = fmt::format("\"thumb-{}-{}\"", file.sha256, side);
  // A URL that names the content (?v=<sha256>, as the web app asks) never changes what it
  // gives: the browser keeps it. Without it, it asks again each time (304 when unchanged).
  const std::string cache =
      req.query("v") == file.sha256 ? "private, max-age=31536000, immutable" : "private, no-cache";
  if (IfNoneMatchHits(req.header("If-None-Match"), etag)) {
    http::Response res;
    res.status = 304;
    res.body = std::string();
    res.SetHeader("ETag", etag);
    res.SetHeader("Cache-Control", cache);
    co_return res;
  }
  auto made = co_await api.thumbnails->Get(file, side);
  if (!made) {
    if (made.error().code == Errc::kNotFound) {
      co_return http::ErrorResponse(404, "no_thumbnail", made.error().message);
    }
    co_return Err(made.error(), req);
  }
  http::Response res = http::TextResponse(200, std::move(*made), "image/jpeg");
  res.SetHeader("ETag", etag);
  res.SetHeader("Cache-Control", cache);
  co_return res;
}

net::awaitable<http::Response> GetThumbnail(const FileApi& api, http::Request& req) {
  const core::Principal* who = CurrentPrincipal(req);
  if (who == nullptr) co_return Err(Error{Errc::kUnauthenticated, "sign in first"}, req);
  auto node = co_await api.files.Get(who->user.id, std::string(req.path_param("id")));
  if (!node) co_return Err(node.error(), req);
  co_return co_await ThumbnailResponse(api, *node, req);
}

net::awaitable<http::Response> CopyNode(const FileApi& api, http::Request& req) {
  const core::Principal* who = CurrentPrincipal(req);
  if (who == nullptr) co_return Err(Error{Errc::kUnauthenticated, "sign in first"}, req);
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto parent = RequiredString(*body, "parent_id");
  if (!parent) co_return Err(parent.error(), req);
  auto name = StringField(*body, "name", true);
  if (!name) co_return Err(name.error(), req);
  auto copied =
      co_await api.files.Copy(who->user.id, std::string(req.path_param("id")), *parent, *name);
  if (!copied) co_return Err(copied.error(), req);
  co_return http::JsonResponse(201, NodeJson(*copied, who->user));
}

}  // namespace nimbus::api
