// SPDX-License-Identifier: AGPL-3.0-or-later
// What a visitor of a public link reads without an account (public_access routes):
// GET /api/v1/public/{token} (the link's node and {expires_at, has_password}), /children?id=
// (a folder of the link's tree, paged like /nodes/{id}/children) and /content?id= (a file with
// Range/ETag, a folder as a zip). The password comes in X-Link-Password; /content also takes
// ?key= (the access_key GET /public/{token} gave for the password) so that a plain <a href> on
// the link's page can download without the password in its URL, and ?password= (older pages). Each
// whole download (a file from its first byte, or a zip) is counted and in the link's activity.
#include <boost/json/object.hpp>
#include <memory>
#include <span>

#include "api/file_handlers.h"
#include "api/handler_util.h"
#include "api/json_codec.h"
#include "api/share_handlers.h"

namespace nimbus::api {

namespace json = boost::json;
using core::files::Caller;
using core::files::Node;
using http::Request;
using http::Response;

namespace {

// The visitor of {token}: kNotFound, kPasswordRequired, kInvalidCredentials or kTooManyAttempts
// (with `retry_after_s`) as LinkService::Open decides.
net::awaitable<Result<Caller>> OpenLink(const ShareApi& api, const Request& req,
                                        bool password_in_query, int& retry_after_s) {
  std::string password(req.header("X-Link-Password"));
  std::string key;
  if (password.empty() && password_in_query) {
    password = req.query("password").value_or("");
    key = req.query("key").value_or("");
  }
  co_return co_await api.links.Open(std::string(req.path_param("token")), std::move(password),
                                    req.remote_address(), &retry_after_s, std::move(key));
}

// The error response, with Retry-After when the error is the wrong-password limit.
Response LinkErr(const Error& e, const Request& req, int retry_after_s) {
  Response res = Err(e, req);
  if (retry_after_s > 0) res.SetHeader("Retry-After", std::to_string(retry_after_s));
  return res;
}

// A visitor sees the owner's name, not their email address. Nodes of one listing share one
// owner object, so one copy serves the page.
void HideOwnerEmail(std::span<Node> nodes) {
  std::shared_ptr<const core::files::NodeOwner> seen, hidden;
  for (Node& n : nodes) {
    if (!n.owner) continue;
    if (n.owner != seen) {
      seen = n.owner;
      auto copy = std::make_shared<core::files::NodeOwner>(*n.owner);
      copy->email.clear();
      hidden = std::move(copy);
    }
    n.owner = hidden;
  }
}

}  // namespace

net::awaitable<Response> GetPublic(const ShareApi& api, Request& req) {
  int retry_after_s = 0;
  auto visitor = co_await OpenLink(api, req, false, retry_after_s);
  if (!visitor) co_return LinkErr(visitor.error(), req, retry_after_s);
  auto node = co_await api.files.files.Get(*visitor, "root");
  if (!node) co_return Err(node.error(), req);
  auto link = co_await api.links.Describe(*visitor);
  if (!link) co_return Err(link.error(), req);
  HideOwnerEmail(std::span(&*node, 1));
  json::object info{{"has_password", link->has_password}};
  if (!link->access_key.empty()) info["access_key"] = link->access_key;
  if (link->expires_at) {
    info["expires_at"] = Timestamp(*link->expires_at);
  } else {
    info["expires_at"] = nullptr;
  }
  co_return http::JsonResponse(
      200, json::object{{"node", NodeJson(*node, core::User{})}, {"link", std::move(info)}});
}

net::awaitable<Response> ListPublicChildren(const ShareApi& api, Request& req) {
  int retry_after_s = 0;
  auto visitor = co_await OpenLink(api, req, false, retry_after_s);
  if (!visitor) co_return LinkErr(visitor.error(), req, retry_after_s);
  auto options = ListOptionsOf(req, api.files.config);
  if (!options) co_return Err(options.error(), req);
  auto page =
      co_await api.files.files.Children(*visitor, req.query("id").value_or("root"), *options);
  if (!page) co_return Err(page.error(), req);
  HideOwnerEmail(page->items);
  co_return http::TextResponse(200, NodePageJsonText(*page, core::User{}),
                               "application/json; charset=utf-8");
}

net::awaitable<Response> GetPublicContent(const ShareApi& api, Request& req) {
  int retry_after_s = 0;
  auto visitor = co_await OpenLink(api, req, true, retry_after_s);
  if (!visitor) co_return LinkErr(visitor.error(), req, retry_after_s);
  auto node = co_await api.files.files.Get(*visitor, req.query("id").value_or("root"));
  if (!node) co_return Err(node.error(), req);
  Response res =
      node->is_folder() ? ZipResponse(api.files, *node, req) : FileResponse(api.files, *node, req);
  // A download is counted once: a zip, a whole file, or the first piece of a ranged one (a
  // player or a resuming client asks for the rest in more pieces). HEAD and 304 are not, and
  // neither is a preview on the link's page (?inline=1): it is noted as one, so that the count
  // says how often the file was taken away (QA pass 18: 1 download and 7 previews said 8).
  const bool whole = res.status == 200 ||
                     (res.status == 206 && res.header("Content-Range").starts_with("bytes 0-"));
  if (whole && req.method() != http::Method::kHead) {
    if (!node->is_folder() && req.query("inline") == "1") {
      api.files.files.NoteActivity(*visitor, *node, "preview");
    } else {
      api.files.files.NoteActivity(*visitor, *node, node->is_folder() ? "zip" : "download");
      api.links.CountDownload(*visitor);
    }
  }
  co_return res;
}

// GET /api/v1/public/{token}/thumbnail?id=&size=: a picture's thumbnail on the link's page (not
// counted as a download or a preview).
net::awaitable<Response> GetPublicThumbnail(const ShareApi& api, Request& req) {
  int retry_after_s = 0;
  auto visitor = co_await OpenLink(api, req, true, retry_after_s);
  if (!visitor) co_return LinkErr(visitor.error(), req, retry_after_s);
  auto node = co_await api.files.files.Get(*visitor, req.query("id").value_or("root"));
  if (!node) co_return Err(node.error(), req);
  co_return co_await ThumbnailResponse(api.files, *node, req);
}

}  // namespace nimbus::api
