// SPDX-License-Identifier: AGPL-3.0-or-later
#include "mail/templates.h"

#include <string>
#include <utility>
#include <vector>

namespace nimbus::mail {
namespace {

// One built-in template. Placeholders are written {{name}}; every name used must be in `vars`
// (checked before expansion, so a missing one is reported instead of rendered as "").
struct Builtin {
  std::vector<std::string_view> vars;
  std::string_view subject;  // Plain text, no HTML escaping.
  std::string_view text;
  std::string_view html;  // Inner body; wrapped in kHtmlFrame. Values are HTML-escaped here.
  // Variables added after mails were first queued with this template: a mail queued by an older
  // version lacks them and renders with these values (a sentence left out) instead of failing.
  std::vector<std::pair<std::string_view, std::string_view>> optional = {};
};

constexpr std::string_view kHtmlFrame =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{{subject}}</title></head>\n"
    "<body style=\"font-family: sans-serif; line-height: 1.5; color: #222;\">\n{{body}}\n"
    "<p style=\"color: #777; font-size: 0.9em;\">Nimbus</p>\n</body></html>\n";

const Builtin& Get(Template t) {
  static const Builtin kVerify{
      {"name", "link"},
      "Confirm your email address",
      "Hello {{name}},\n\n"
      "Welcome to Nimbus. Please confirm your email address by opening this link:\n\n"
      "{{link}}\n\n"
      "The link works once. If you did not sign up, you can ignore this message.\n",
      "<p>Hello {{name}},</p>\n"
      "<p>Welcome to Nimbus. Please confirm your email address:</p>\n"
      "<p><a href=\"{{link}}\">Confirm my email address</a></p>\n"
      "<p>Or paste this link into your browser: {{link}}</p>\n"
      "<p>The link works once. If you did not sign up, you can ignore this message.</p>"};
  static const Builtin kReset{
      {"name", "link"},
      "Reset your Nimbus password",
      "Hello {{name}},\n\n"
      "Someone (hopefully you) asked to reset the password of your Nimbus account.\n"
      "To choose a new password, open this link:\n\n"
      "{{link}}\n\n"
      "The link works once and expires soon. If you did not ask for this, ignore this message:\n"
      "your password stays as it is.\n",
      "<p>Hello {{name}},</p>\n"
      "<p>Someone (hopefully you) asked to reset the password of your Nimbus account.</p>\n"
      "<p><a href=\"{{link}}\">Choose a new password</a></p>\n"
      "<p>Or paste this link into your browser: {{link}}</p>\n"
      "<p>The link works once and expires soon. If you did not ask for this, ignore this "
      "message: your password stays as it is.</p>"};
  static const Builtin kChanged{
      {"name", "public_url"},
      "Your Nimbus password was changed",
      "Hello {{name}},\n\n"
      "The password of your Nimbus account was just changed, and every other session was\n"
      "signed out. Personal API tokens keep working: revoke any you do not recognise in\n"
      "Settings: {{public_url}}/settings\n\n"
      "If this was not you, reset your password at once: {{public_url}}/forgot-password\n",
      "<p>Hello {{name}},</p>\n"
      "<p>The password of your Nimbus account was just changed, and every other session was "
      "signed out. Personal API tokens keep working: revoke any you do not recognise in "
      "<a href=\"{{public_url}}/settings\">Settings</a>.</p>\n"
      "<p>If this was not you, <a href=\"{{public_url}}/forgot-password\">reset your password</a> "
      "at once.</p>"};
  static const Builtin kEmailConfirm{
      {"name", "link", "old_email", "new_email", "hours"},
      "Confirm your new Nimbus email address",
      "Hello {{name}},\n\n"
      "You asked to sign in to Nimbus with {{new_email}} instead of {{old_email}}.\n"
      "To finish the change, open this link:\n\n"
      "{{link}}\n\n"
      "The link works once and expires in {{hours}} hours. Until it is opened, nothing changes.\n"
      "If you did not ask for this, ignore this message.\n",
      "<p>Hello {{name}},</p>\n"
      "<p>You asked to sign in to Nimbus with {{new_email}} instead of {{old_email}}.</p>\n"
      "<p><a href=\"{{link}}\">Use {{new_email}} for my account</a></p>\n"
      "<p>Or paste this link into your browser: {{link}}</p>\n"
      "<p>The link works once and expires in {{hours}} hours. Until it is opened, nothing changes. "
      "If "
      "you did not ask for this, ignore this message.</p>"};
  static const Builtin kEmailChanged{
      {"name", "new_email", "public_url"},
      "Your Nimbus email address was changed",
      "Hello {{name}},\n\n"
      "Your Nimbus account now uses {{new_email}}: sign in with it from now on. Mail about\n"
      "the account goes there; this is the last message to this address.\n\n"
      "If this was not you, someone else controls your account and its new address: write to\n"
      "your Nimbus administrator at once, from this address, so that they can disable the\n"
      "account and give it back to you. (A password reset would go to the new address.)\n",
      "<p>Hello {{name}},</p>\n"
      "<p>Your Nimbus account now uses <strong>{{new_email}}</strong>: sign in with it from now "
      "on. Mail about the account goes there; this is the last message to this address.</p>\n"
      "<p>If this was not you, someone else controls your account and its new address: write "
      "to your Nimbus administrator at once, from this address, so that they can disable the "
      "account and give it back to you. (A password reset would go to the new address.)</p>"};
  static const Builtin kDeleted{
      {"name", "how", "public_url"},
      "Your Nimbus account was deleted",
      "Hello {{name}},\n\n"
      "Your Nimbus account and every file in it were deleted {{how}}. Links you made\n"
      "stopped working, and what others shared with you is no longer yours to see.\n\n"
      "If you did not expect this, write to your Nimbus administrator. You can sign up\n"
      "again with this address at any time: {{public_url}}/signup\n",
      "<p>Hello {{name}},</p>\n"
      "<p>Your Nimbus account and every file in it were deleted {{how}}. Links you made "
      "stopped working, and what others shared with you is no longer yours to see.</p>\n"
      "<p>If you did not expect this, write to your Nimbus administrator. You can <a "
      "href=\"{{public_url}}/signup\">sign up again</a> with this address at any time.</p>"};
  static const Builtin kShare{
      {"name", "sharer", "item", "link"},
      "{{sharer}} shared \"{{item}}\" with you",
      "Hello {{name}},\n\n"
      "{{sharer}} shared \"{{item}}\" with you on Nimbus.{{access}} Open it here:\n\n"
      "{{link}}\n\n"
      "You also find it under \"Shared with me\" when you are signed in to Nimbus.\n",
      "<p>Hello {{name}},</p>\n"
      "<p>{{sharer}} shared <strong>{{item}}</strong> with you on Nimbus.{{access}}</p>\n"
      "<p><a href=\"{{link}}\">Open {{item}}</a></p>\n"
      "<p>Or paste this link into your browser: {{link}}</p>\n"
      "<p>You also find it under \"Shared with me\" when you are signed in to Nimbus.</p>",
      // " You can view and download it." or what edit allows (share_service.cpp).
      {{"access", ""}}};
  static const Builtin kAlert{
      {"name", "title", "detail", "public_url"},
      "[Nimbus alert] {{title}}",
      "Hello {{name}},\n\n"
      "Nimbus reports: {{title}}\n\n"
      "{{detail}}\n\n"
      "The admin page shows the disks and their state: {{public_url}}/admin\n",
      "<p>Hello {{name}},</p>\n"
      "<p>Nimbus reports: <strong>{{title}}</strong></p>\n"
      "<p>{{detail}}</p>\n"
      "<p>The <a href=\"{{public_url}}/admin\">admin page</a> shows the disks and their "
      "state.</p>"};
  static const Builtin kInvoice{
      {"name", "number", "amount", "due", "link", "payment"},
      "Your Nimbus invoice {{number}}: {{amount}}",
      "Hello {{name}},\n\n"
      "Invoice {{number}} for your Nimbus storage plan is ready: {{amount}}, due {{due}}.\n\n"
      "How to pay: {{payment}}\n\n"
      "See it and print it here:\n\n"
      "{{link}}\n",
      "<p>Hello {{name}},</p>\n"
      "<p>Invoice <strong>{{number}}</strong> for your Nimbus storage plan is ready: "
      "<strong>{{amount}}</strong>, due {{due}}.</p>\n"
      "<p>How to pay: {{payment}}</p>\n"
      "<p><a href=\"{{link}}\">See and print invoice {{number}}</a></p>"};
  static const Builtin kPaid{
      {"name", "number", "amount", "link"},
      "Payment received for invoice {{number}}",
      "Hello {{name}},\n\n"
      "Thank you: we received {{amount}} for invoice {{number}}.\n\n"
      "{{link}}\n",
      "<p>Hello {{name}},</p>\n"
      "<p>Thank you: we received <strong>{{amount}}</strong> for invoice {{number}}.</p>\n"
      "<p><a href=\"{{link}}\">See invoice {{number}}</a></p>"};
  // A credit (a smaller plan's unused part) paid an open invoice, in part or whole: a changed
  // invoice the user was mailed about before is mailed about again (QA pass 19b).
  static const Builtin kCredit{
      {"name", "number", "amount", "rest", "link"},
      "Invoice {{number}}: {{amount}} paid from your credit",
      "Hello {{name}},\n\n"
      "The credit from your plan change paid {{amount}} of invoice {{number}}. {{rest}}\n\n"
      "{{link}}\n",
      "<p>Hello {{name}},</p>\n"
      "<p>The credit from your plan change paid <strong>{{amount}}</strong> of invoice "
      "{{number}}. {{rest}}</p>\n"
      "<p><a href=\"{{link}}\">See invoice {{number}}</a></p>"};
  static const Builtin kFailed{
      {"name", "number", "amount", "link"},
      "Payment of invoice {{number}} failed",
      "Hello {{name}},\n\n"
      "The payment of {{amount}} for invoice {{number}} did not go through. Your files are\n"
      "safe; please check your payment details so the invoice can be paid:\n\n"
      "{{link}}\n",
      "<p>Hello {{name}},</p>\n"
      "<p>The payment of <strong>{{amount}}</strong> for invoice {{number}} did not go through. "
      "Your files are safe; please check your payment details so the invoice can be paid.</p>\n"
      "<p><a href=\"{{link}}\">See invoice {{number}}</a></p>"};
  static const Builtin kPastDue{
      {"name", "amount", "since", "link"},
      "Your Nimbus account is past due",
      "Hello {{name}},\n\n"
      "{{amount}} has been unpaid since {{since}}, so your Nimbus account is read-only for now:\n"
      "you can still open, download, share and delete your files, but not upload, copy or\n"
      "restore them. Nothing is deleted. Paying lifts this at once:\n\n"
      "{{link}}\n",
      "<p>Hello {{name}},</p>\n"
      "<p><strong>{{amount}}</strong> has been unpaid since {{since}}, so your Nimbus account is "
      "read-only for now: you can still open, download, share and delete your files, but not "
      "upload, copy or restore them. Nothing is deleted. Paying lifts this at once.</p>\n"
      "<p><a href=\"{{link}}\">See what is due</a></p>"};
  // `others`: "" or a sentence on what people the user shares folders with added lately
  // (uploads into a shared folder count against its owner's plan).
  static const Builtin kUsage{
      {"name", "percent", "used", "quota", "link", "others"},
      "Your Nimbus storage is {{percent}}% full",
      "Hello {{name}},\n\n"
      "Your files and trash now take {{used}} of your {{quota}} plan ({{percent}}%).\n"
      "{{others}}\n"
      "When it is full, uploads stop. Free some space (empty the trash) or choose a bigger\n"
      "plan here:\n\n"
      "{{link}}\n",
      "<p>Hello {{name}},</p>\n"
      "<p>Your files and trash now take <strong>{{used}}</strong> of your {{quota}} plan "
      "({{percent}}%). When it is full, uploads stop.</p>\n"
      "<p>{{others}}</p>\n"
      "<p>Free some space (empty the trash) or <a href=\"{{link}}\">choose a bigger plan</a>.</p>"};
  switch (t) {
    case Template::kVerifyEmail:
      return kVerify;
    case Template::kPasswordReset:
      return kReset;
    case Template::kPasswordChanged:
      return kChanged;
    case Template::kEmailConfirm:
      return kEmailConfirm;
    case Template::kEmailChanged:
      return kEmailChanged;
    case Template::kShareReceived:
      return kShare;
    case Template::kAdminAlert:
      return kAlert;
    case Template::kInvoiceIssued:
      return kInvoice;
    case Template::kPaymentReceived:
      return kPaid;
    case Template::kPaymentFailed:
      return kFailed;
    case Template::kPastDue:
      return kPastDue;
    case Template::kUsageWarning:
      return kUsage;
    case Template::kAccountDeleted:
      return kDeleted;
    case Template::kCreditApplied:
      return kCredit;
  }
  return kAlert;  // Unreachable for a valid enumerator.
}

std::string EscapeHtml(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Replaces each {{name}} with escape(vars[name]). Every name was checked to exist; an unknown
// one (a typo in a template above) is left as written so the test of that template catches it.
template <class Escape>
std::string Expand(std::string_view tpl, const Vars& vars, Escape escape) {
  std::string out;
  out.reserve(tpl.size() + 64);
  std::size_t pos = 0;
  while (pos < tpl.size()) {
    std::size_t open = tpl.find("{{", pos);
    std::size_t close = open == std::string_view::npos ? open : tpl.find("}}", open + 2);
    if (close == std::string_view::npos) {
      out.append(tpl.substr(pos));
      break;
    }
    out.append(tpl.substr(pos, open - pos));
    std::string_view name = tpl.substr(open + 2, close - open - 2);
    auto it = vars.find(name);
    if (it != vars.end()) {
      out += escape(it->second);
    } else {
      out.append(tpl.substr(open, close + 2 - open));
    }
    pos = close + 2;
  }
  return out;
}

// A subject is one header line: line breaks in a value (a file name, a user's name) would
// otherwise end the header early.
std::string OneLine(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\r' || c == '\n' || c == '\t') c = ' ';
  }
  return out;
}

std::string_view TemplateName(Template t) {
  switch (t) {
    case Template::kVerifyEmail:
      return "verify-email";
    case Template::kPasswordReset:
      return "password-reset";
    case Template::kPasswordChanged:
      return "password-changed";
    case Template::kEmailConfirm:
      return "email-confirm";
    case Template::kEmailChanged:
      return "email-changed";
    case Template::kShareReceived:
      return "share-received";
    case Template::kAdminAlert:
      return "admin-alert";
    case Template::kInvoiceIssued:
      return "invoice-issued";
    case Template::kPaymentReceived:
      return "payment-received";
    case Template::kPaymentFailed:
      return "payment-failed";
    case Template::kPastDue:
      return "past-due";
    case Template::kUsageWarning:
      return "usage-warning";
    case Template::kAccountDeleted:
      return "account-deleted";
    case Template::kCreditApplied:
      return "credit-applied";
  }
  return "unknown";
}

}  // namespace

Result<Message> Render(Template t, std::string_view to, const Vars& vars) {
  const Builtin& b = Get(t);
  for (std::string_view name : b.vars) {
    if (vars.find(name) == vars.end()) {
      return Fail(Errc::kInvalidArgument, "mail template {} needs the variable '{}'",
                  TemplateName(t), name);
    }
  }
  if (to.empty()) {
    return Fail(Errc::kInvalidArgument, "mail template {}: no recipient", TemplateName(t));
  }
  const Vars* values = &vars;
  Vars with_defaults;
  for (const auto& [name, fallback] : b.optional) {
    if (vars.find(name) != vars.end()) continue;
    if (values == &vars) {
      with_defaults = vars;
      values = &with_defaults;
    }
    with_defaults.emplace(std::string(name), std::string(fallback));
  }
  auto plain = [](const std::string& v) { return v; };
  auto html = [](const std::string& v) { return EscapeHtml(v); };
  Message m;
  m.to = std::string(to);
  m.subject = OneLine(Expand(b.subject, *values, plain));
  m.text = Expand(b.text, *values, plain);
  std::string framed = Expand(kHtmlFrame, Vars{{"subject", m.subject}}, html);
  // The body is already escaped, so it is spliced in without a second escaping pass.
  std::string body = Expand(b.html, *values, html);
  std::size_t at = framed.find("{{body}}");
  framed.replace(at, 8, body);
  m.html = std::move(framed);
  return m;
}

}  // namespace nimbus::mail
