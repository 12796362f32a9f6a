// SPDX-License-Identifier: AGPL-3.0-or-later
#include "http/test_server.h"

#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <future>
#include <random>
#include <stdexcept>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <fmt/core.h>
#include "util/sha256.h"

namespace nimbus::http::test {

namespace {

// PUT /upload: streams the body in 64 KiB buffers, answers {size, sha256, chunks}.
net::awaitable<Response> Upload(Request& req) {
  nimbus::Sha256 sha;
  std::vector<char> buf(64 * 1024);
  std::uint64_t size = 0, chunks = 0;
  while (true) {
    auto n = co_await req.ReadSome(buf);
    if (!n) co_return ErrorResponse(n.error());
    if (*n == 0) break;
    sha.Update(std::span<const char>(buf.data(), *n));
    size += *n;
    ++chunks;
  }
  co_return JsonResponse(200, boost::json::object{{"size", size}, {"sha256", sha.FinishHex()},
                                                  {"chunks", chunks}});
}

// PUT /reject: decides from the header alone (like a quota check) and never reads the body.
net::awaitable<Response> Reject(Request&) {
  co_return ErrorResponse(Error{Errc::kTooLarge, "upload is larger than allowed"});
}

// GET /gen?n=N[&known=1]: N bytes of 'a'..'z' from a generator; chunked unless known=1.
net::awaitable<Response> Generate(Request& req) {
  std::uint64_t total = std::stoull(req.query("n").value_or("100000"));
  auto sent = std::make_shared<std::uint64_t>(0);
  GeneratorBody gen;
  gen.next = [total, sent](std::span<char> buf) -> net::awaitable<Result<std::size_t>> {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), total - *sent));
    for (std::size_t i = 0; i < n; ++i) buf[i] = static_cast<char>('a' + (*sent + i) % 26);
    *sent += n;
    co_return n;
  };
  if (req.query("known") == "1") gen.content_length = total;
  Response res;
  res.body = std::move(gen);
  res.SetHeader("Content-Type", "application/octet-stream");
  co_return res;
}

// GET /file?path=P[&offset=O&length=L]: a file response (sendfile on plain TCP).
net::awaitable<Response> File(Request& req) {
  FileBody f;
  f.path = req.query("path").value_or("/nonexistent");
  if (auto o = req.query("offset")) f.offset = std::stoull(*o);
  if (auto l = req.query("length")) f.length = std::stoull(*l);
  Response res;
  res.body = std::move(f);
  res.SetHeader("Content-Type", "application/octet-stream");
  co_return res;
}

// GET /slow?ms=N: answers after N ms (an in-flight request for shutdown tests).
net::awaitable<Response> Slow(Request& req) {
  int ms = std::stoi(req.query("ms").value_or("300"));
  net::steady_timer timer(co_await net::this_coro::executor);
  timer.expires_after(std::chrono::milliseconds(ms));
  co_await timer.async_wait(net::use_awaitable);
  co_return TextResponse(200, "slow done");
}

net::awaitable<Response> Throw(Request&) {
  throw std::runtime_error("secret detail of a bug");
  co_return EmptyResponse(204);
}

// GET /echo/{id}/{*rest}: the parsed request as JSON.
net::awaitable<Response> Echo(Request& req) {
  boost::json::object o;
  o["id"] = req.path_param("id");
  o["rest"] = req.path_param("rest");
  o["q"] = req.query("q").value_or("<none>");
  o["route"] = req.route();
  o["request_id"] = req.request_id();
  co_return JsonResponse(200, o);
}

// POST /json: reads the body whole (limit 1 KiB) and echoes its length.
net::awaitable<Response> JsonBody(Request& req) {
  auto body = co_await req.ReadAll(1024);
  if (!body) co_return ErrorResponse(body.error());
  co_return JsonResponse(200, boost::json::object{{"length", body->size()}});
}

// POST /json-default: ReadAll() with the server's max_json_body_bytes.
net::awaitable<Response> JsonDefaultLimit(Request& req) {
  auto body = co_await req.ReadAll();
  if (!body) co_return ErrorResponse(body.error());
  co_return JsonResponse(200, boost::json::object{{"length", body->size()}});
}

constexpr StaticAsset kAssets[] = {
    {"/app.css", "text/css; charset=utf-8", "\"css1\"", "body{}", false},
    {"/assets/abc123/app.js", "text/javascript; charset=utf-8", "\"js1\"", "export {};", true},
    {"/index.html", "text/html; charset=utf-8", "\"idx1\"", "<!doctype html><title>Nimbus</title>",
     false},
};

}  // namespace

void AddTestRoutes(Router& r, util::Metrics& metrics, std::atomic<bool>& ready) {
  r.Add(Method::kGet, "/api/v1/hello", [](Request&) -> net::awaitable<Response> {
    co_return JsonResponse(200, boost::json::object{{"hello", "world"}});
  });
  r.Add(Method::kPut, "/upload", &Upload);
  r.Add(Method::kPut, "/reject", &Reject);
  r.Add(Method::kGet, "/gen", &Generate);
  r.Add(Method::kGet, "/file", &File);
  r.Add(Method::kGet, "/slow", &Slow);
  r.Add(Method::kGet, "/throw", &Throw);
  r.Add(Method::kGet, "/echo/{id}/{*rest}", &Echo);
  r.Add(Method::kPost, "/json", &JsonBody);
  r.Add(Method::kPost, "/json-default", &JsonDefaultLimit);
  auto check = [&ready]() -> net::awaitable<Result<std::vector<std::string>>> {
    if (!ready.load()) co_return Fail(Errc::kUnavailable, "database: not answering");
    co_return std::vector<std::string>{};
  };
  AddSystemRoutes(r, metrics, check);
}

std::span<const StaticAsset> TestAssets() { return kAssets; }

TestServer::TestServer(ServerOptions options, std::function<void(Router&)> extra_routes) {
  options.listen = "127.0.0.1:0";
  AddTestRoutes(router_, metrics_, ready_);
  if (extra_routes) extra_routes(router_);
  server_ = std::make_unique<Server>(ioc_, std::move(options), router_, metrics_, TestAssets());
  auto listening = server_->Listen();
  if (!listening) throw std::runtime_error("Listen: " + listening.error().message);
  server_->Start();
  for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { ioc_.run(); });
}

std::chrono::milliseconds TestServer::ShutdownAndWait() {
  auto start = std::chrono::steady_clock::now();
  if (!stopped_) {
    stopped_ = true;
    std::promise<void> done;
    server_->Shutdown([&done] { done.set_value(); });
    if (done.get_future().wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
      std::abort();  // Shutdown never finished: a bug; do not hang the suite.
    }
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

TestServer::~TestServer() {
  ShutdownAndWait();
  ioc_.stop();
  for (auto& t : threads_) t.join();
}

std::string Sha256Hex(std::string_view data) { return nimbus::Sha256::HexOf(data); }

}  // namespace nimbus::http::test
