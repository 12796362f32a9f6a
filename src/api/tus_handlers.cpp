// SPDX-License-Identifier: AGPL-3.0-or-later
// The tus 1.0.0 endpoints at /api/v1/uploads (core, creation, termination, checksum with
// sha1 or sha256; also at /api/v1/uploads/, as clients configured with a trailing slash ask):
// headers in and out, Upload-Metadata, and the protocol's own statuses (412, 415, 460).
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/auth_middleware.h"
#include "api/content_headers.h"
#include "api/file_handlers.h"
#include "api/handler_util.h"
#include "core/files/tus_service.h"
#include "http/url.h"
#include "storage/byte_stream.h"
#include "util/rfc3339.h"

namespace nimbus::api {

namespace {

using core::files::TusService;
using core::files::TusState;
using core::files::TusUpload;

constexpr std::string_view kTusVersion = "1.0.0";
constexpr std::string_view kNodeIdHeader = "Nimbus-Node-Id";
constexpr std::string_view kExposed =
    "Upload-Offset, Upload-Length, Upload-Metadata, Upload-Checksum, Location, Tus-Resumable, "
    "Tus-Version, Tus-Extension, Tus-Max-Size, Tus-Checksum-Algorithm, Nimbus-Node-Id, "
    "Nimbus-Upload-Error, "
    "X-Request-Id";

// The request body as a ByteSource for core.
class RequestBody final : public storage::ByteSource {
 public:
  explicit RequestBody(http::Request& req) : req_(req) {}
  net::awaitable<Result<std::size_t>> Read(std::span<char> buf) override {
    return req_.ReadSome(buf);
  }

 private:
  http::Request& req_;
};

// Standard base64 (padding optional); nullopt on any other character.
std::optional<std::string> Base64Decode(std::string_view in) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '+')
      v = 62;
    else if (c == '/')
      v = 63;
    else if (c == '=')
      break;
    else
      return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<std::uint64_t> ParseU64(std::string_view s) {
  s = Trim(s);
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

http::Response Bad(const http::Request& req, std::string message) {
  return http::ErrorResponse(Error{Errc::kInvalidArgument, std::move(message)}, req.request_id());
}

// Tus-Resumable on every answer; the CORS headers a browser's tus client wants when it sends an
// Origin, which is only echoed when it is this server's own (never "*", cookies are in play).
http::Response Finish(const http::Request& req, http::Response res) {
  res.SetHeader("Tus-Resumable", kTusVersion);
  std::string_view origin = req.header("Origin");
  auto scheme_end = origin.find("://");
  if (scheme_end != std::string_view::npos && !req.header("Host").empty() &&
      origin.substr(scheme_end + 3) == req.header("Host")) {
    res.SetHeader("Access-Control-Allow-Origin", origin);
    res.SetHeader("Access-Control-Allow-Credentials", "true");
    res.SetHeader("Access-Control-Expose-Headers", kExposed);
    res.AddHeader("Vary", "Origin");
  }
  return res;
}

// 412 unless the client speaks tus 1.0.0.
std::optional<http::Response> CheckVersion(const http::Request& req) {
  if (req.header("Tus-Resumable") == kTusVersion) return std::nullopt;
  http::Response res = http::ErrorResponse(
      412, "tus_version_unsupported",
      fmt::format("This server speaks tus {} only; send the header Tus-Resumable: {}.", kTusVersion,
                  kTusVersion));
  res.SetHeader("Tus-Version", kTusVersion);
  return res;
}

std::int64_t OwnerOf(const http::Request& req) {
  const core::Principal* p = CurrentPrincipal(req);
  return p ? p->user.id : 0;
}

// Upload-Metadata → the create request; an error answer for bad metadata.
std::optional<http::Response> ParseMetadata(const http::Request& req,
                                            core::files::TusCreateRequest& out) {
  std::string_view meta = req.header("Upload-Metadata");
  std::optional<std::string> path, filename;
  std::vector<std::string_view> seen;  // tus: keys MUST be unique.
  while (!meta.empty()) {
    auto comma = meta.find(',');
    std::string_view pair = Trim(meta.substr(0, comma));
    meta = comma == std::string_view::npos ? std::string_view() : meta.substr(comma + 1);
    if (pair.empty()) continue;
    auto space = pair.find(' ');
    std::string_view key = pair.substr(0, space);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return Bad(req, fmt::format("Upload-Metadata: the key {} is given twice.", key));
    }
    seen.push_back(key);
    std::optional<std::string> value = std::string();
    if (space != std::string_view::npos) value = Base64Decode(Trim(pair.substr(space + 1)));
    if (!value)
      return Bad(req, fmt::format("Upload-Metadata: the value of {} is not base64.", key));
    if (key == "parent_id") out.parent_id = *value;
    if (key == "path") path = *value;
    if (key == "filename") filename = *value;
    // The file's own time, as X-Modified-At of a PUT: big photos keep their dates too.
    if (key == "modified_at") {
      out.modified_at = ParseClientModifiedAt(*value);
      if (!out.modified_at) {
        return Bad(req, fmt::format("Upload-Metadata: modified_at must be {}.", kClientTimeRule));
      }
    }
    if (key == "on_conflict") {
      if (*value == "fail")
        out.on_conflict = core::files::OnConflict::kFail;
      else if (*value == "replace")
        out.on_conflict = core::files::OnConflict::kReplace;
      else if (*value == "rename")
        out.on_conflict = core::files::OnConflict::kRename;
      else
        return Bad(req, "Upload-Metadata: on_conflict must be fail, replace or rename.");
    }
  }
  if (out.parent_id.empty()) out.parent_id = "root";
  out.path = path ? *path : filename.value_or("");
  if (out.path.empty()) {
    return Bad(req, "Upload-Metadata needs the file's path (or filename), base64-encoded.");
  }
  out.metadata = std::string(req.header("Upload-Metadata"));
  return std::nullopt;
}

void AddUploadState(http::Response& res, const TusUpload& upload) {
  res.SetHeader("Upload-Offset", std::to_string(upload.offset));
  if (upload.state == TusState::kDone) res.SetHeader(kNodeIdHeader, upload.node_id);
}

net::awaitable<http::Response> Options(const FileApi& api, http::Request& req) {
  http::Response res = http::EmptyResponse(204);
  res.SetHeader("Tus-Version", kTusVersion);
  res.SetHeader("Tus-Extension", "creation,termination,checksum");
  res.SetHeader("Tus-Checksum-Algorithm", "sha1,sha256");
  res.SetHeader("Tus-Max-Size", std::to_string(api.config.max_upload_bytes));
  res = Finish(req, std::move(res));
  if (res.has_header("Access-Control-Allow-Origin")) {
    res.SetHeader("Access-Control-Allow-Methods", "POST, HEAD, PATCH, DELETE, OPTIONS");
    res.SetHeader("Access-Control-Allow-Headers",
                  "Tus-Resumable, Upload-Length, Upload-Metadata, Upload-Offset, "
                  "Upload-Checksum, Upload-Defer-Length, Content-Type, X-CSRF-Token, "
                  "X-Request-Id, X-HTTP-Method-Override, Authorization, Nimbus-On-Conflict");
    res.SetHeader("Access-Control-Max-Age", "600");
  }
  co_return res;
}

net::awaitable<http::Response> CreateUpload(const FileApi& api, http::Request& req) {
  if (auto bad = CheckVersion(req)) co_return std::move(*bad);
  if (req.has_header("Upload-Defer-Length")) {
    co_return Bad(req, "Uploads of unknown length are not supported; send Upload-Length.");
  }
  // tus-js-client's parallelUploads sends partial uploads (concatenation, not offered in
  // Tus-Extension): said plainly, rather than "the metadata needs a path" (QA pass 19).
  if (req.has_header("Upload-Concat")) {
    co_return Bad(req,
                  "Upload-Concat (the concatenation extension, which parallel uploads use) is not "
                  "supported: send the file as one upload (tus-js-client: parallelUploads 1).");
  }
  std::optional<std::uint64_t> length = ParseU64(req.header("Upload-Length"));
  if (!length) co_return Bad(req, "Upload-Length (the file's size in bytes) is missing or bad.");
  core::files::TusCreateRequest create;
  create.owner_id = OwnerOf(req);
  create.length = *length;
  if (auto bad = ParseMetadata(req, create)) co_return std::move(*bad);
  Result<TusUpload> upload = co_await api.tus.Create(std::move(create));
  if (!upload) co_return Err(upload.error(), req);
  http::Response res = http::EmptyResponse(201);
  res.SetHeader("Location", "/api/v1/uploads/" + upload->id);
  AddUploadState(res, *upload);
  co_return res;
}

// 410 upload_failed with the reason, which is also in Nimbus-Upload-Error (percent-encoded
// UTF-8): the answer to a HEAD has no body.
http::Response FailedUpload(const TusUpload& upload) {
  const std::string reason = "This upload failed: " + upload.error;
  http::Response res = http::ErrorResponse(410, "upload_failed", reason);
  res.SetHeader("Nimbus-Upload-Error", PercentEncodeUtf8(reason));
  res.SetHeader("Cache-Control", "no-store");
  return res;
}

net::awaitable<http::Response> HeadUpload(const FileApi& api, http::Request& req) {
  if (auto bad = CheckVersion(req)) co_return std::move(*bad);
  Result<TusUpload> upload = co_await api.tus.Get(OwnerOf(req), std::string(req.path_param("id")));
  if (!upload) co_return Err(upload.error(), req);
  if (upload->state == TusState::kFailed) co_return FailedUpload(*upload);
  // Every byte, but kept for a decision (its name was taken meanwhile): not a 200, which a tus
  // client would take for "finished" (Upload-Offset = Upload-Length), but 409 with the reason.
  const bool waiting = upload->state == TusState::kAssembling && !upload->error.empty();
  http::Response res =
      waiting ? http::ErrorResponse(409, "name_taken", upload->error) : http::EmptyResponse(200);
  if (waiting) res.SetHeader("Nimbus-Upload-Error", PercentEncodeUtf8(upload->error));
  AddUploadState(res, *upload);
  res.SetHeader("Upload-Length", std::to_string(upload->length));
  if (!upload->metadata.empty()) res.SetHeader("Upload-Metadata", upload->metadata);
  res.SetHeader("Cache-Control", "no-store");
  co_return res;
}

// "sha1 <base64 digest>" or "sha256 <base64 digest>"; an error answer for another algorithm or
// a bad digest.
std::optional<http::Response> ParseChecksum(const http::Request& req,
                                            std::optional<core::files::TusChecksum>& out) {
  using Kind = TransferDigest::Kind;
  std::string_view h = Trim(req.header("Upload-Checksum"));
  if (h.empty()) return std::nullopt;
  auto space = h.find(' ');
  const std::string_view algorithm = h.substr(0, space);
  if (algorithm != "sha256" && algorithm != "sha1") {
    return Bad(req, "Upload-Checksum: the algorithms supported are sha1 and sha256.");
  }
  const Kind kind = algorithm == "sha1" ? Kind::kSha1 : Kind::kSha256;
  std::optional<std::string> digest =
      space == std::string_view::npos ? std::nullopt : Base64Decode(Trim(h.substr(space + 1)));
  if (!digest || digest->size() != TransferDigest::SizeOf(kind)) {
    return Bad(req, fmt::format("Upload-Checksum: the {} digest must be {} bytes in base64.",
                                algorithm, TransferDigest::SizeOf(kind)));
  }
  out.emplace(
      core::files::TusChecksum{kind, std::vector<std::uint8_t>(digest->begin(), digest->end())});
  return std::nullopt;
}

net::awaitable<http::Response> PatchUpload(const FileApi& api, http::Request& req) {
  if (auto bad = CheckVersion(req)) co_return std::move(*bad);
  if (req.header("Content-Type") != "application/offset+octet-stream") {
    co_return http::ErrorResponse(
        415, "unsupported_media_type",
        "A PATCH of an upload must have Content-Type: application/offset+octet-stream.");
  }
  std::optional<std::uint64_t> offset = ParseU64(req.header("Upload-Offset"));
  if (!offset) co_return Bad(req, "Upload-Offset is missing or not a number.");
  std::optional<core::files::TusChecksum> checksum;
  if (auto bad = ParseChecksum(req, checksum)) co_return std::move(*bad);
  // Nimbus-On-Conflict: the rule from now on (an upload kept after its name was taken).
  std::optional<core::files::OnConflict> decide;
  if (std::string_view rule = Trim(req.header("Nimbus-On-Conflict")); !rule.empty()) {
    if (rule == "replace") {
      decide = core::files::OnConflict::kReplace;
    } else if (rule == "rename") {
      decide = core::files::OnConflict::kRename;
    } else if (rule == "fail") {
      decide = core::files::OnConflict::kFail;
    } else {
      co_return Bad(req, "Nimbus-On-Conflict must be replace, rename or fail.");
    }
  }
  RequestBody body(req);
  Result<TusUpload> upload = co_await api.tus.Append(
      OwnerOf(req), std::string(req.path_param("id")), *offset, body, checksum, decide);
  if (!upload) {
    if (upload.error().code == Errc::kChecksumMismatch) {
      co_return http::ErrorResponse(460, "checksum_mismatch", upload.error().message);
    }
    co_return Err(upload.error(), req);
  }
  if (upload->state == TusState::kFailed) co_return FailedUpload(*upload);
  http::Response res = http::EmptyResponse(204);
  AddUploadState(res, *upload);
  co_return res;
}

// Not part of tus: the caller's unfinished uploads, so that one started in another browser (or
// abandoned) can be seen and discarded (DELETE) rather than hold space until it expires.
net::awaitable<http::Response> ListUploads(const FileApi& api, http::Request& req) {
  const core::Principal* who = CurrentPrincipal(req);
  if (who == nullptr) co_return Err(Error{Errc::kUnauthenticated, "sign in first"}, req);
  auto uploads = co_await api.tus.ListUnfinished(who->user.id);
  if (!uploads) co_return Err(uploads.error(), req);
  const std::int64_t expiry_ms = std::int64_t{api.config.tus_expiry_h} * 3600 * 1000;
  boost::json::array items;
  for (const TusUpload& u : *uploads) {
    // Where it will land, as the caller sees it (null when that folder is gone or unshared).
    auto folder = co_await api.files.Get(who->user.id, u.parent_id);
    const std::size_t slash = u.path.rfind('/');
    auto time = [](std::int64_t ms) {
      std::string s;
      AppendRfc3339(s, ms);
      return s;
    };
    items.push_back(boost::json::object{
        {"id", u.id},
        {"name", slash == std::string::npos ? u.path : u.path.substr(slash + 1)},
        {"path", u.path},
        {"parent_id", folder ? folder->id : u.parent_id},  // The root's real id, never "root".
        {"folder_path", folder ? boost::json::value(folder->path) : boost::json::value(nullptr)},
        {"size", u.length},
        {"offset", u.offset},
        // "name_taken": every byte is here, its name was taken meanwhile; `error` says so and
        // the client finishes it (Nimbus-On-Conflict) or deletes it.
        {"state", u.state != TusState::kAssembling ? "receiving"
                  : u.error.empty()                ? "saving"
                                                   : "name_taken"},
        {"created_at", time(u.created_at)},
        {"updated_at", time(u.updated_at)},
        {"expires_at", time(u.updated_at + expiry_ms)},
    });
    if (u.state == TusState::kAssembling && !u.error.empty()) {
      items.back().as_object()["error"] = u.error;
    }
    // Someone's upload into a folder of the caller's shared with edit: it holds the caller's
    // space, so it is listed, and the caller may discard it (DELETE) like their own.
    if (!u.sender_email.empty()) {
      items.back().as_object()["sender"] =
          boost::json::object{{"name", u.sender_name}, {"email", u.sender_email}};
    }
  }
  co_return http::JsonResponse(200, boost::json::object{{"uploads", std::move(items)}});
}

net::awaitable<http::Response> DeleteUpload(const FileApi& api, http::Request& req) {
  if (auto bad = CheckVersion(req)) co_return std::move(*bad);
  Result<void> done = co_await api.tus.Terminate(OwnerOf(req), std::string(req.path_param("id")));
  if (!done) co_return Err(done.error(), req);
  co_return http::EmptyResponse(204);
}

// tus's X-HTTP-Method-Override (for clients and proxies that cannot send PATCH or DELETE, e.g.
// tus-js-client's overridePatchMethod): a POST to an upload acts as the method it names.
net::awaitable<http::Response> OverriddenUpload(const FileApi& api, http::Request& req) {
  std::string_view method = Trim(req.header("X-HTTP-Method-Override"));
  if (http::IEquals(method, "PATCH")) co_return co_await PatchUpload(api, req);
  if (http::IEquals(method, "DELETE")) co_return co_await DeleteUpload(api, req);
  if (http::IEquals(method, "HEAD")) co_return co_await HeadUpload(api, req);
  // Another user's upload (or an unknown id) is 404 like every other method says.
  Result<TusUpload> upload = co_await api.tus.Get(OwnerOf(req), std::string(req.path_param("id")));
  if (!upload) co_return Err(upload.error(), req);
  http::Response res =
      http::ErrorResponse(405, "method_not_allowed",
                          "POST to an upload needs X-HTTP-Method-Override: PATCH, HEAD or DELETE.");
  res.SetHeader("Allow", "HEAD, PATCH, DELETE, OPTIONS");
  co_return res;
}

}  // namespace

void AddTusRoutes(http::Router& router, const FileApi& api) {
  using http::Method;
  auto add = [&](Method m, std::string_view pattern, auto fn, bool public_access = false) {
    http::RouteOptions options;
    options.public_access = public_access;
    auto handler = [&api, fn](http::Request& req) -> net::awaitable<http::Response> {
      http::Response res = co_await fn(api, req);
      co_return Finish(req, std::move(res));
    };
    router.Add(m, pattern, std::move(handler), std::move(options));
  };
  // Preflights carry no cookie: OPTIONS is public (it tells only what the server supports).
  add(Method::kOptions, "/api/v1/uploads", Options, true);
  add(Method::kOptions, "/api/v1/uploads/", Options, true);
  add(Method::kOptions, "/api/v1/uploads/{id}", Options, true);
  add(Method::kPost, "/api/v1/uploads", CreateUpload);
  add(Method::kPost, "/api/v1/uploads/", CreateUpload);
  add(Method::kGet, "/api/v1/uploads", ListUploads);
  add(Method::kHead, "/api/v1/uploads/{id}", HeadUpload);
  add(Method::kPatch, "/api/v1/uploads/{id}", PatchUpload);
  add(Method::kPost, "/api/v1/uploads/{id}", OverriddenUpload);
  add(Method::kDelete, "/api/v1/uploads/{id}", DeleteUpload);
}

}  // namespace nimbus::api
