// SPDX-License-Identifier: AGPL-3.0-or-later
// HTTPS with a throwaway self-signed certificate made by the openssl CLI.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>

#include <boost/json.hpp>
#include <fmt/core.h>

#include "http/curl_client.h"
#include "http/test_server.h"

namespace nimbus::http::test {
namespace {

bool MakeCertificate(const TempDir& dir) {
  if (std::system("command -v openssl >/dev/null 2>&1") != 0) return false;
  std::string cmd = fmt::format(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 "
      "-subj /CN=127.0.0.1 -keyout {0}/key.pem -out {0}/cert.pem >/dev/null 2>&1",
      dir.path().string());
  return std::system(cmd.c_str()) == 0;
}

TEST(HttpTls, ServesJsonUploadsAndFilesOverTls) {
  TempDir dir;
  if (!MakeCertificate(dir)) GTEST_SKIP() << "openssl CLI not available";
  ServerOptions o;
  o.tls_cert = (dir.path() / "cert.pem").string();
  o.tls_key = (dir.path() / "key.pem").string();
  TestServer server(o);
  std::string base = fmt::format("https://127.0.0.1:{}", server.port());
  CurlClient curl;

  CurlResponse hello = curl.Perform({.url = base + "/api/v1/hello", .insecure_tls = true});
  ASSERT_EQ(hello.curl_code, 0) << hello.error;
  EXPECT_EQ(hello.status, 200);
  EXPECT_EQ(hello.body, R"({"hello":"world"})");
  EXPECT_EQ(hello.Header("X-Frame-Options"), "DENY");

  std::string body(2 * 1024 * 1024 + 3, '\0');
  std::mt19937 rng(7);
  for (auto& ch : body) ch = static_cast<char>(rng());
  CurlResponse up = curl.Perform(
      {.method = "PUT", .url = base + "/upload", .upload = &body, .insecure_tls = true});
  ASSERT_EQ(up.curl_code, 0) << up.error;
  EXPECT_EQ(up.status, 200);
  EXPECT_EQ(boost::json::parse(up.body).at("sha256").as_string(), Sha256Hex(body));
  EXPECT_EQ(up.new_connects, 0) << "keep-alive over TLS";

  auto path = (dir.path() / "blob").string();
  std::ofstream(path, std::ios::binary) << body;
  CurlResponse file = curl.Perform({.url = base + "/file?path=" + path, .insecure_tls = true});
  ASSERT_EQ(file.curl_code, 0) << file.error;
  EXPECT_EQ(file.status, 200);
  EXPECT_EQ(Sha256Hex(file.body), Sha256Hex(body));  // The pread path (no sendfile under TLS).

  // Plain HTTP to the TLS port gets nowhere (and does not hurt the server).
  CurlClient plain;
  CurlResponse p = plain.Perform(
      {.url = fmt::format("http://127.0.0.1:{}/api/v1/hello", server.port()), .timeout_ms = 3000});
  EXPECT_NE(p.status, 200);
  CurlResponse again = curl.Perform({.url = base + "/api/v1/hello", .insecure_tls = true});
  EXPECT_EQ(again.status, 200);
}

TEST(HttpTls, ListenFailsOnAMissingCertificate) {
  boost::asio::io_context ioc;
  util::Metrics metrics;
  Router router;
  ServerOptions o;
  o.listen = "127.0.0.1:0";
  o.tls_cert = "/nonexistent/cert.pem";
  o.tls_key = "/nonexistent/key.pem";
  Server server(ioc, o, router, metrics, {});
  auto r = server.Listen();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  EXPECT_NE(r.error().message.find("/nonexistent/cert.pem"), std::string::npos);
}

TEST(HttpServerListen, AddressInUseIsUnavailable) {
  boost::asio::io_context ioc;
  util::Metrics metrics;
  Router router;
  ServerOptions o;
  o.listen = "127.0.0.1:0";
  Server first(ioc, o, router, metrics, {});
  ASSERT_TRUE(first.Listen());
  o.listen = fmt::format("127.0.0.1:{}", first.port());
  Server second(ioc, o, router, metrics, {});
  auto r = second.Listen();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::kUnavailable);
  o.listen = "nonsense";
  Server third(ioc, o, router, metrics, {});
  auto bad = third.Listen();
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
}

}  // namespace
}  // namespace nimbus::http::test
