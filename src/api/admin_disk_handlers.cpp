// SPDX-License-Identifier: AGPL-3.0-or-later
// The admin disk and job routes of api.md (GET/POST /api/v1/admin/disks, …/{id}/fail, …/replace,
// …/scrub, GET /api/v1/admin/jobs) over core::DiskAdmin. A non-admin gets 404 not_found, as if
// the routes did not exist; the auth middleware answers 401 and 403 csrf_failed before.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <memory>
#include <string>

#include "api/account_routes.h"
#include "api/auth_middleware.h"
#include "api/handler_util.h"
#include "api/json_codec.h"

namespace nimbus::api {

namespace json = boost::json;
using http::Method;
using http::Request;
using http::Response;

namespace {

using DiskHandler = net::awaitable<Response> (*)(core::DiskAdmin&, Request&);

bool IsAdmin(const Request& req) {
  const core::Principal* p = CurrentPrincipal(req);
  return p != nullptr && p->user.is_admin;
}

Response NotFound(const Request& req) {
  return Err(Error{Errc::kNotFound, "There is nothing at this address."}, req);
}

net::awaitable<Response> ListDisks(core::DiskAdmin& admin, Request& req) {
  auto disks = co_await admin.List();
  if (!disks) co_return Err(disks.error(), req);
  // Disks are few: one page.
  co_return http::JsonResponse(
      200, json::object{{"disks", std::move(*disks)}, {"next_cursor", nullptr}});
}

net::awaitable<Response> ShowDisk(core::DiskAdmin& admin, Request& req) {
  auto disk = co_await admin.Show(std::string(req.path_param("id")));
  if (!disk) co_return Err(disk.error(), req);
  co_return http::JsonResponse(200, json::object{{"disk", std::move(*disk)}});
}

net::awaitable<Response> AttachDisk(core::DiskAdmin& admin, Request& req) {
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto id = RequiredString(*body, "id");
  if (!id) co_return Err(id.error(), req);
  auto uri = RequiredString(*body, "uri");
  if (!uri) co_return Err(uri.error(), req);
  std::uint64_t capacity = 0;
  if (const json::value* c = body->if_contains("capacity_bytes"); c != nullptr && !c->is_null()) {
    if (c->is_uint64()) {
      capacity = c->as_uint64();
    } else if (c->is_int64() && c->as_int64() >= 0) {
      capacity = static_cast<std::uint64_t>(c->as_int64());
    } else {
      co_return Err(Error{Errc::kInvalidArgument,
                          "'capacity_bytes' must be a whole number of bytes, 0 or more."},
                    req);
    }
  }
  config::Spare spare{*id, *uri, capacity};  // Named: no temporaries next to co_await.
  auto disk = co_await admin.Attach(std::move(spare));
  if (!disk) co_return Err(disk.error(), req);
  co_return http::JsonResponse(201, json::object{{"disk", std::move(*disk)}});
}

net::awaitable<Response> FailDisk(core::DiskAdmin& admin, Request& req) {
  const std::string force = req.query("force").value_or("");
  auto disk =
      co_await admin.Fail(std::string(req.path_param("id")), force == "1" || force == "true");
  if (!disk) co_return Err(disk.error(), req);
  co_return http::JsonResponse(200, json::object{{"disk", std::move(*disk)}});
}

net::awaitable<Response> ReplaceDisk(core::DiskAdmin& admin, Request& req) {
  auto body = co_await ReadJsonObject(req);
  if (!body) co_return Err(body.error(), req);
  auto with = RequiredString(*body, "with");
  if (!with) co_return Err(with.error(), req);
  auto started = co_await admin.Replace(std::string(req.path_param("id")), std::move(*with));
  if (!started) co_return Err(started.error(), req);
  co_return http::JsonResponse(202, *started);
}

net::awaitable<Response> RetireDisk(core::DiskAdmin& admin, Request& req) {
  auto retired = co_await admin.Retire(std::string(req.path_param("id")));
  if (!retired) co_return Err(retired.error(), req);
  co_return http::JsonResponse(200, *retired);
}

net::awaitable<Response> ScrubDisk(core::DiskAdmin& admin, Request& req) {
  auto started = co_await admin.Scrub(std::string(req.path_param("id")));
  if (!started) co_return Err(started.error(), req);
  co_return http::JsonResponse(202, *started);
}

net::awaitable<Response> ListJobs(core::DiskAdmin& admin, Request& req) {
  auto jobs = co_await admin.Jobs();
  if (!jobs) co_return Err(jobs.error(), req);
  co_return http::JsonResponse(200,
                               json::object{{"jobs", std::move(*jobs)}, {"next_cursor", nullptr}});
}

// Answers 404 for a non-admin before calling `fn`.
net::awaitable<Response> AdminOnly(core::DiskAdmin& admin, DiskHandler fn, Request& req) {
  if (!IsAdmin(req)) co_return NotFound(req);
  co_return co_await fn(admin, req);
}

}  // namespace

void AddAdminDiskRoutes(http::Router& router, core::DiskAdmin& admin) {
  auto add = [&router, &admin](Method m, std::string_view path, DiskHandler fn) {
    router.Add(
        m, path, [&admin, fn](Request& req) { return AdminOnly(admin, fn, req); },
        http::RouteOptions{});
  };
  add(Method::kGet, "/api/v1/admin/disks", &ListDisks);
  add(Method::kPost, "/api/v1/admin/disks", &AttachDisk);
  add(Method::kGet, "/api/v1/admin/disks/{id}", &ShowDisk);
  add(Method::kPost, "/api/v1/admin/disks/{id}/fail", &FailDisk);
  add(Method::kPost, "/api/v1/admin/disks/{id}/replace", &ReplaceDisk);
  add(Method::kPost, "/api/v1/admin/disks/{id}/scrub", &ScrubDisk);
  add(Method::kPost, "/api/v1/admin/disks/{id}/retire", &RetireDisk);
  add(Method::kGet, "/api/v1/admin/jobs", &ListJobs);
}

}  // namespace nimbus::api
