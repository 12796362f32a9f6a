// Result<T>: the one error-return type of Nimbus (std::expected behind an alias), and Fail().
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <expected>
#include <string>
#include <utility>

#include <fmt/core.h>

#include "util/errc.h"

namespace nimbus {

struct Error {
  Errc code = Errc::kInternal;
  std::string message;  // For a person or a log line ("blob 3f… on disk a1: EIO"); never a secret.
};

template <class T>
using Result = std::expected<T, Error>;

// return Fail(Errc::kNameTaken, "'{}' exists in {}", name, parent);
template <class... A>
std::unexpected<Error> Fail(Errc code, fmt::format_string<A...> f, A&&... args) {
  return std::unexpected<Error>(Error{code, fmt::format(f, std::forward<A>(args)...)});
}

inline std::unexpected<Error> Fail(Error e) { return std::unexpected<Error>(std::move(e)); }

}  // namespace nimbus
