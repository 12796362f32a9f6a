// SPDX-License-Identifier: AGPL-3.0-or-later
#include "support/prometheus_text.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace nimbus::test {
namespace {

bool IsNameChar(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':' ||
         (!first && std::isdigit(static_cast<unsigned char>(c)));
}

// Reads a metric or label name at the front of `s`, consuming it; "" if there is none.
std::string TakeName(std::string_view& s) {
  std::size_t n = 0;
  while (n < s.size() && IsNameChar(s[n], n == 0)) ++n;
  std::string name(s.substr(0, n));
  s.remove_prefix(n);
  return name;
}

bool ParseValue(std::string_view text, double& out) {
  if (text == "+Inf" || text == "Inf") {
    out = INFINITY;
    return true;
  }
  if (text == "-Inf") {
    out = -INFINITY;
    return true;
  }
  if (text == "NaN") {
    out = NAN;
    return true;
  }
  std::string s(text);
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return !s.empty() && end == s.c_str() + s.size();
}

// Parses `{a="x",b="y"}` at the front of `s` (the opening brace already seen).
bool ParseLabels(std::string_view& s, std::map<std::string, std::string>& labels) {
  while (true) {
    if (!s.empty() && s.front() == '}') {
      s.remove_prefix(1);
      return true;
    }
    std::string key = TakeName(s);
    if (key.empty() || s.size() < 2 || s[0] != '=' || s[1] != '"') return false;
    s.remove_prefix(2);
    std::string value;
    while (!s.empty() && s.front() != '"') {
      if (s.front() == '\\' && s.size() >= 2) {
        char e = s[1];
        value.push_back(e == 'n' ? '\n' : e);
        s.remove_prefix(2);
      } else {
        value.push_back(s.front());
        s.remove_prefix(1);
      }
    }
    if (s.empty()) return false;
    s.remove_prefix(1);  // Closing quote.
    labels[key] = value;
    if (!s.empty() && s.front() == ',') s.remove_prefix(1);
  }
}

}  // namespace

std::vector<PromSample> PromText::Named(std::string_view name) const {
  std::vector<PromSample> out;
  for (const auto& s : samples) {
    if (s.name == name) out.push_back(s);
  }
  return out;
}

Result<PromText> ParsePrometheusText(std::string_view text) {
  PromText out;
  int line_no = 0;
  while (!text.empty()) {
    std::size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    ++line_no;
    if (line.empty()) continue;
    if (line.front() == '#') {
      if (line.starts_with("# TYPE ")) {
        std::string_view rest = line.substr(7);
        std::size_t sp = rest.find(' ');
        if (sp == std::string_view::npos) {
          return Fail(Errc::kInvalidArgument, "line {}: bad TYPE line '{}'", line_no, line);
        }
        out.types[std::string(rest.substr(0, sp))] = std::string(rest.substr(sp + 1));
      }
      continue;
    }
    PromSample sample;
    std::string_view rest = line;
    sample.name = TakeName(rest);
    bool ok = !sample.name.empty();
    if (ok && !rest.empty() && rest.front() == '{') {
      rest.remove_prefix(1);
      ok = ParseLabels(rest, sample.labels);
    }
    ok = ok && !rest.empty() && rest.front() == ' ';
    if (ok) {
      rest.remove_prefix(1);
      std::string_view value = rest.substr(0, rest.find(' '));  // An optional timestamp follows.
      ok = ParseValue(value, sample.value);
    }
    if (!ok) return Fail(Errc::kInvalidArgument, "line {}: not a sample: '{}'", line_no, line);
    out.samples.push_back(std::move(sample));
  }
  return out;
}

}  // namespace nimbus::test
