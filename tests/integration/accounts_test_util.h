// Helpers of the accounts integration tests: JSON calls against the real server, the session
// cookie, and reading links out of the .eml files the file mailer writes under <data>/mail/.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <string>

#include "integration/nimbus_fixture.h"

namespace nimbus::test {

// A signed-in browser: the session cookie and the CSRF token login returned.
struct Browser {
  std::string cookie;  // "nimbus_session=…"
  std::string csrf;
};

class AccountsTest : public NimbusTest {
 protected:
  // Starts the server with the outbox polled every second (plus `env`).
  void Start(EnvVars env = {}, bool with_config = false);
  // Sends one request; `who` adds the cookie and (when `csrf`) the X-CSRF-Token.
  HttpResponse Call(const std::string& method, const std::string& target,
                    const std::string& body = "", const Browser* who = nullptr, bool csrf = true,
                    Headers extra = {});
  HttpResponse SignUp(const std::string& email,
                      const std::string& password = "correct horse battery");
  // Confirms `email` with the token of its newest sign-up mail (expects 204).
  void ConfirmEmail(const std::string& email);
  // Signs up (expects 201) and confirms the address (ConfirmEmail): an account that can be
  // shared with.
  void SignUpConfirmed(const std::string& email,
                       const std::string& password = "correct horse battery");
  // Logs in (expects 200) and returns the browser state.
  Browser LogIn(const std::string& email, const std::string& password = "correct horse battery");
  // Waits (bounded, 20 s) for a mail to `to` whose text holds `{public_url}{path}?token=` and
  // returns the token of the newest such mail, "" on timeout. Skips the first `skip` matches.
  std::string WaitForToken(const std::string& to, const std::string& path, std::size_t skip = 0);
  // True when some .eml file (quoted-printable undone) contains `text`.
  bool AnyMailContains(const std::string& text);
  // The number of .eml files to `to` whose subject contains `subject_part`.
  std::size_t MailsTo(const std::string& to, const std::string& subject_part);
};

// The parsed JSON body (an empty object when it is not JSON).
boost::json::object BodyOf(const HttpResponse& r);
// error.code of an error body, "" when there is none.
std::string ErrorCode(const HttpResponse& r);

}  // namespace nimbus::test
