// Templates: the product's emails (verify email, password reset, password changed, email change,
// share received, admin alert, invoices and payments, past due, usage warnings), each rendered to a
// plain-text and an HTML body from named variables. SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "mail/message.h"
#include "util/result.h"

namespace nimbus::mail {

enum class Template {
  kVerifyEmail,      // vars: name, link
  kPasswordReset,    // vars: name, link
  kPasswordChanged,  // vars: name, public_url
  kEmailConfirm,     // vars: name, link, old_email, new_email, hours (to the new address)
  kEmailChanged,     // vars: name, new_email, public_url (to the old address)
  kShareReceived,    // vars: name, sharer, item, link; optional: access (" You can …")
  kAdminAlert,       // vars: name, title, detail, public_url
  // Plans and billing (issue 7). `amount` is formatted money ("12.34 USD"), `link` the page.
  kInvoiceIssued,    // vars: name, number, amount, due, link
  kPaymentReceived,  // vars: name, number, amount, link
  kPaymentFailed,    // vars: name, number, amount, link
  kPastDue,          // vars: name, amount, since, link
  kUsageWarning,     // vars: name, percent, used, quota, link, others
  kAccountDeleted,   // vars: name, how ("as you asked", "by an administrator…"), public_url
  kCreditApplied,    // vars: name, number, amount (of the credit), rest (a sentence), link
};

using Vars = std::map<std::string, std::string, std::less<>>;

// Renders `t` for recipient `to`. Values are HTML-escaped in the HTML body. kInvalidArgument
// naming the variable when one the template needs is missing.
Result<Message> Render(Template t, std::string_view to, const Vars& vars);

}  // namespace nimbus::mail
