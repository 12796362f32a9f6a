// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/email_address.h"

#include <algorithm>
#include <cctype>

namespace nimbus::core {

Result<std::string> NormalizeEmail(std::string_view email) {
  auto b = email.find_first_not_of(" \t\r\n");
  auto e = email.find_last_not_of(" \t\r\n");
  std::string s = b == std::string_view::npos ? "" : std::string(email.substr(b, e - b + 1));
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  auto bad = [](const char* why) {
    return Fail(Errc::kInvalidEmail, "This is not a valid email address: {}.", why);
  };
  if (s.empty()) return bad("it is empty");
  if (s.size() > 254) return bad("it is longer than 254 characters");
  auto at = s.find('@');
  if (at == std::string::npos || s.find('@', at + 1) != std::string::npos) {
    return bad("it needs exactly one @");
  }
  std::string_view local(s.data(), at);
  std::string_view domain(s.data() + at + 1, s.size() - at - 1);
  if (local.empty() || local.size() > 64) return bad("the part before the @ is empty or too long");
  const bool spaced = std::any_of(s.begin(), s.end(), [](char c) {
    return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '<' || c == '>' || c == ',' ||
           c == ';' || c == '"' || c == '(' || c == ')' || c == '\\';
  });
  if (spaced) return bad("it contains spaces or characters addresses cannot have");
  auto dot = domain.find('.');
  if (domain.empty() || dot == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.' || domain.find("..") != std::string_view::npos ||
      domain.front() == '-') {
    return bad("the part after the @ is not a domain name such as example.com");
  }
  return s;
}

}  // namespace nimbus::core
