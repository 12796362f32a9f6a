// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/password_policy.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "core/common_passwords.h"

namespace nimbus::core {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool IsDecoration(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) ||
         std::ispunct(static_cast<unsigned char>(c)) || c == ' ';
}

// "p4ssw0rd" -> "password": the usual digit-for-letter swaps.
std::string Unleet(std::string s) {
  for (char& c : s) {
    switch (c) {
      case '0':
        c = 'o';
        break;
      case '1':
        c = 'i';
        break;
      case '3':
        c = 'e';
        break;
      case '4':
        c = 'a';
        break;
      case '5':
        c = 's';
        break;
      case '7':
        c = 't';
        break;
      case '@':
        c = 'a';
        break;
      case '$':
        c = 's';
        break;
      default:
        break;
    }
  }
  return s;
}

bool IsRunOrSequence(const std::string& s) {
  if (s.size() < 2) return true;
  if (std::all_of(s.begin(), s.end(), [&](char c) { return c == s[0]; })) return true;
  static constexpr std::string_view kSequences[] = {"abcdefghijklmnopqrstuvwxyz",
                                                    "zyxwvutsrqponmlkjihgfedcba",
                                                    "01234567890",
                                                    "09876543210",
                                                    "qwertyuiopasdfghjklzxcvbnm",
                                                    "qwertzuiop",
                                                    "azertyuiop",
                                                    "1qaz2wsx3edc4rfv5tgb",
                                                    "qazwsxedcrfvtgbyhn",
                                                    "1q2w3e4r5t6y7u8i9o0p"};
  for (std::string_view seq : kSequences) {
    if (seq.find(s) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

bool IsCommonPassword(std::string_view password) {
  const std::string lower = Lower(password);
  if (IsCommonPasswordExact(lower) || IsCommonPasswordExact(Unleet(lower))) return true;
  if (IsRunOrSequence(lower)) return true;
  // Strip decoration on both ends: "Password123!" and "!!qwerty2024" are still the list's.
  std::size_t b = 0, e = lower.size();
  while (b < e && IsDecoration(lower[b])) ++b;
  while (e > b && IsDecoration(lower[e - 1])) --e;
  if (e - b < 3) {
    // Digits and symbols only ("1234567890!"): judge the alphanumerics.
    std::string alnum;
    for (char c : lower) {
      if (std::isalnum(static_cast<unsigned char>(c))) alnum += c;
    }
    return IsCommonPasswordExact(alnum) || IsRunOrSequence(alnum);
  }
  const std::string core = lower.substr(b, e - b);
  if (core.size() == lower.size()) return false;
  return IsCommonPasswordExact(core) || IsCommonPasswordExact(Unleet(core)) ||
         IsRunOrSequence(core);
}

std::size_t CharCount(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

Result<void> CheckPassword(std::string_view password, const config::AccountsConfig& config) {
  const std::size_t n = CharCount(password);
  if (n < static_cast<std::size_t>(config.password_min_length)) {
    return Fail(Errc::kWeakPassword, "The password must be at least {} characters long.",
                config.password_min_length);
  }
  if (n > static_cast<std::size_t>(config.password_max_length)) {
    return Fail(Errc::kWeakPassword, "The password must be at most {} characters long.",
                config.password_max_length);
  }
  if (IsCommonPassword(password)) {
    return Fail(Errc::kWeakPassword,
                "This password is one of the most commonly used passwords, so it is easy to "
                "guess. Choose something less predictable.");
  }
  return {};
}

}  // namespace nimbus::core
