// SPDX-License-Identifier: AGPL-3.0-or-later
#include "integration/files_test_util.h"

#include <fmt/core.h>

#include <cstdio>

namespace nimbus::test {

void FilesTest::StartWithUser(EnvVars env, const std::string& email) {
  Start(std::move(env));
  HttpResponse r = SignUp(email);
  ASSERT_EQ(r.status, 201) << r.body;
  me_ = LogIn(email);
}

HttpResponse FilesTest::Api(const std::string& method, const std::string& target,
                            const std::string& body, Headers extra) {
  return Call(method, target, body, &me_, true, std::move(extra));
}

HttpResponse FilesTest::Put(const std::string& parent, const std::string& path,
                            const std::string& bytes, const std::string& on_conflict,
                            Headers extra) {
  extra.emplace_back("Content-Type", "application/octet-stream");
  extra.emplace_back("Cookie", me_.cookie);
  extra.emplace_back("X-CSRF-Token", me_.csrf);
  auto client = HttpClient::Connect(port());
  EXPECT_TRUE(client) << client.error().message;
  if (!client) return {};
  std::string target = fmt::format("/api/v1/nodes/{}/content?path={}&on_conflict={}", parent,
                                   UrlEncode(path), on_conflict);
  auto r = client->Request("PUT", target, extra, bytes, std::chrono::seconds(60));
  EXPECT_TRUE(r) << "PUT " << target << ": " << r.error().message;
  return r.value_or(HttpResponse{});
}

HttpResponse FilesTest::Download(const std::string& id, Headers extra) {
  return Call("GET", "/api/v1/nodes/" + id + "/content", "", &me_, false, std::move(extra));
}

std::string FilesTest::IdOf(const HttpResponse& r) {
  auto body = BodyOf(r);
  if (auto* id = body.if_contains("id"); id && id->is_string()) return id->as_string().c_str();
  if (auto* node = body.if_contains("node"); node && node->is_object()) {
    if (auto* id = node->as_object().if_contains("id"); id && id->is_string()) {
      return id->as_string().c_str();
    }
  }
  return "";
}

boost::json::object FilesTest::Usage() {
  auto body = BodyOf(Api("GET", "/api/v1/me"));
  if (auto* u = body.if_contains("usage"); u && u->is_object()) return u->as_object();
  return {};
}

std::string UrlEncode(const std::string& s, bool keep_slash) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

}  // namespace nimbus::test
