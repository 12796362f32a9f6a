// SPDX-License-Identifier: AGPL-3.0-or-later
#include "mail/mail_test_util.h"

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <thread>

namespace nimbus::mail::testing {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

// Debian's python3 has aiosmtpd; a pyenv python3 first on PATH does not.
constexpr const char* kPython = "/usr/bin/python3";

std::string Str(const json::object& o, const char* key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

Result<ParsedMail> ParseEml(const fs::path& eml) {
  test::ProcessOptions options;
  options.binary = kPython;
  options.args = {std::string(NIMBUS_MAIL_TEST_DIR) + "/parse_eml.py", eml.string()};
  auto run = test::RunToCompletion(options, std::chrono::seconds(20));
  if (!run) return std::unexpected(run.error());
  if (run->exit_code() != 0) {
    return Fail(Errc::kInternal, "parse_eml.py {}: {}: {}", eml.string(), run->status.Describe(),
                run->err);
  }
  json::value v;
  try {
    v = json::parse(run->out);
  } catch (const std::exception& e) {
    return Fail(Errc::kInternal, "parse_eml.py printed no JSON ({}): {}", e.what(), run->out);
  }
  const json::object& o = v.as_object();
  ParsedMail m;
  m.from = Str(o, "from");
  m.to = Str(o, "to");
  m.subject = Str(o, "subject");
  m.message_id = Str(o, "message_id");
  m.date = Str(o, "date");
  m.mime = Str(o, "mime");
  m.envelope_to = Str(o, "envelope_to");
  for (const json::value& p : o.at("parts").as_array()) {
    const json::object& po = p.as_object();
    m.parts.push_back({Str(po, "type"), Str(po, "charset"), Str(po, "body")});
  }
  for (const json::value& d : o.at("defects").as_array()) {
    m.defects.emplace_back(d.as_string());
  }
  m.crlf_only = o.at("crlf_only").as_bool();
  m.max_line = o.at("max_line").as_int64();
  return m;
}

std::vector<fs::path> EmlFiles(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() == ".eml") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::unique_ptr<SmtpSink>> SmtpSink::Start(const fs::path& dir, std::uint16_t port) {
  test::ProcessOptions options;
  options.binary = kPython;
  options.args = {std::string(NIMBUS_MAIL_TEST_DIR) + "/smtp_sink.py", "--dir", dir.string(),
                  "--port", std::to_string(port)};
  auto process = test::ServerProcess::Start(options);
  if (!process) return std::unexpected(process.error());
  auto sink = std::unique_ptr<SmtpSink>(new SmtpSink());
  sink->process_ = std::move(*process);
  // Bounded: aiosmtpd starts in about 100 ms; a restart on the same port may wait for it.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string out = sink->process_->Stdout();
    const auto at = out.find("READY ");
    if (at != std::string::npos && out.find('\n', at) != std::string::npos) {
      sink->port_ = static_cast<std::uint16_t>(std::stoi(out.substr(at + 6)));
      return sink;
    }
    if (!sink->process_->Running()) {
      return Fail(Errc::kUnavailable, "smtp_sink.py exited: {}", sink->process_->Stderr());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Fail(Errc::kTimeout, "smtp_sink.py did not start: {}", sink->process_->Stderr());
}

void SmtpSink::Stop() {
  if (process_) process_->Terminate(std::chrono::seconds(5));
  process_.reset();
}

}  // namespace nimbus::mail::testing
