// Message: one email as the product composes it (plain text plus optional HTML), before it is
// formatted as RFC 5322 and handed to a transport. SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>

namespace nimbus::mail {

struct Message {
  std::string to;       // One address: "ann@example.com" or "Ann <ann@example.com>".
  std::string subject;  // One line, UTF-8 (encoded as RFC 2047 when not ASCII).
  std::string text;     // The plain-text body.
  std::string html;     // The HTML body; "" for a text-only message.
};

}  // namespace nimbus::mail
