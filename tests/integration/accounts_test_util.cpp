// SPDX-License-Identifier: AGPL-3.0-or-later
#include "integration/accounts_test_util.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

namespace nimbus::test {
namespace {

namespace fs = std::filesystem;

// Undoes quoted-printable (soft breaks and =XX) well enough to find links in a mail body.
std::string DecodeQp(const std::string& in) {
  std::string out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '=' && i + 1 < in.size() && (in[i + 1] == '\r' || in[i + 1] == '\n')) {
      i += (in[i + 1] == '\r' && i + 2 < in.size() && in[i + 2] == '\n') ? 2 : 1;
      continue;
    }
    if (in[i] == '=' && i + 2 < in.size() && std::isxdigit(static_cast<unsigned char>(in[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      out += static_cast<char>(std::stoi(in.substr(i + 1, 2), nullptr, 16));
      i += 2;
      continue;
    }
    out += in[i];
  }
  return out;
}

std::vector<std::string> MailTexts(const std::string& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".eml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> out;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    out.push_back(DecodeQp(ss.str()));
  }
  return out;
}

bool IsTo(const std::string& mail, const std::string& to) {
  auto pos = mail.find("\nTo: ");
  if (pos == std::string::npos) pos = mail.find("To: ");
  if (pos == std::string::npos) return false;
  auto end = mail.find('\n', pos + 1);
  return mail.substr(pos, end - pos).find(to) != std::string::npos;
}

}  // namespace

void AccountsTest::Start(EnvVars env, bool with_config) {
  env.emplace_back("NIMBUS_EMAIL_OUTBOX_POLL_INTERVAL_S", "1");
  auto port = StartServer(env, {}, with_config);
  ASSERT_TRUE(port) << port.error().message;
}

HttpResponse AccountsTest::Call(const std::string& method, const std::string& target,
                                const std::string& body, const Browser* who, bool csrf,
                                Headers extra) {
  Headers h = std::move(extra);
  if (!body.empty()) h.emplace_back("Content-Type", "application/json");
  if (who != nullptr) {
    h.emplace_back("Cookie", who->cookie);
    if (csrf) h.emplace_back("X-CSRF-Token", who->csrf);
  }
  auto client = HttpClient::Connect(port());
  EXPECT_TRUE(client) << client.error().message;
  if (!client) return {};
  auto r = client->Request(method, target, h, body, std::chrono::seconds(20));
  EXPECT_TRUE(r) << method << " " << target << ": " << r.error().message;
  return r.value_or(HttpResponse{});
}

HttpResponse AccountsTest::SignUp(const std::string& email, const std::string& password) {
  boost::json::object o{{"email", email}, {"password", password}, {"name", "Tester"}};
  return Call("POST", "/api/v1/auth/signup", boost::json::serialize(o));
}

void AccountsTest::SignUpConfirmed(const std::string& email, const std::string& password) {
  HttpResponse r = SignUp(email, password);
  ASSERT_EQ(r.status, 201) << r.body;
  ConfirmEmail(email);
}

void AccountsTest::ConfirmEmail(const std::string& email) {
  const std::string token = WaitForToken(email, "/verify-email");
  ASSERT_FALSE(token.empty()) << "no confirmation mail to " << email;
  boost::json::object o{{"token", token}};
  HttpResponse v = Call("POST", "/api/v1/auth/verify-email", boost::json::serialize(o));
  ASSERT_EQ(v.status, 204) << v.body;
}

Browser AccountsTest::LogIn(const std::string& email, const std::string& password) {
  boost::json::object o{{"email", email}, {"password", password}};
  HttpResponse r = Call("POST", "/api/v1/auth/login", boost::json::serialize(o));
  EXPECT_EQ(r.status, 200) << r.body;
  Browser b;
  for (const std::string& c : r.HeaderValues("Set-Cookie")) {
    if (c.starts_with("nimbus_session=")) b.cookie = c.substr(0, c.find(';'));
  }
  auto body = BodyOf(r);
  if (auto* t = body.if_contains("csrf_token"); t && t->is_string())
    b.csrf = t->as_string().c_str();
  EXPECT_FALSE(b.cookie.empty()) << r.body;
  return b;
}

std::string AccountsTest::WaitForToken(const std::string& to, const std::string& path,
                                       std::size_t skip) {
  const std::regex re(std::string("https?://[^/\\s]+") + path + R"(\?token=([A-Za-z0-9_-]{43,}))");
  for (int i = 0; i < 200; ++i) {  // Bounded: 20 s; the outbox is polled every second.
    std::vector<std::string> tokens;
    for (const std::string& m : MailTexts(data_dir() + "/mail")) {
      std::smatch match;
      if (IsTo(m, to) && std::regex_search(m, match, re)) tokens.push_back(match[1]);
    }
    if (tokens.size() > skip) return tokens.back();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return "";
}

bool AccountsTest::AnyMailContains(const std::string& text) {
  for (const std::string& m : MailTexts(data_dir() + "/mail")) {
    if (m.find(text) != std::string::npos) return true;
  }
  return false;
}

std::size_t AccountsTest::MailsTo(const std::string& to, const std::string& subject_part) {
  std::size_t n = 0;
  for (const std::string& m : MailTexts(data_dir() + "/mail")) {
    auto pos = m.find("Subject: ");
    std::string subject = pos == std::string::npos ? "" : m.substr(pos, m.find('\n', pos) - pos);
    if (IsTo(m, to) && subject.find(subject_part) != std::string::npos) ++n;
  }
  return n;
}

boost::json::object BodyOf(const HttpResponse& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (ec || !v.is_object()) return {};
  return v.as_object();
}

std::string ErrorCode(const HttpResponse& r) {
  auto o = BodyOf(r);
  auto* e = o.if_contains("error");
  if (e == nullptr || !e->is_object()) return "";
  auto* c = e->as_object().if_contains("code");
  return c && c->is_string() ? std::string(c->as_string()) : "";
}

}  // namespace nimbus::test
