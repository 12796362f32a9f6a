// SPDX-License-Identifier: AGPL-3.0-or-later
// Ledger: standing, payments and the admin's invoice list (this file); the billing job's period
// invoices are RunBilling (billing_run.cpp).
#include "core/billing/ledger.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <map>
#include <utility>

#include "core/account_mail.h"
#include "core/billing/invoices.h"
#include "core/billing/plan_pricing.h"
#include "core/email_address.h"
#include "db/stores/account_store.h"
#include "db/stores/billing_store.h"
#include "db/stores/share_store.h"

namespace nimbus::core::billing {

Result<std::string> MailUser(db::Transaction& tx, std::int64_t user_id, mail::Template t,
                             mail::Vars vars, std::int64_t now) {
  auto user = db::ShareStore::UserNameEmail(tx, user_id);
  if (!user) return std::unexpected(std::move(user.error()));
  if (!*user) return std::string();
  const auto& [name, email] = **user;
  vars["name"] = name.empty() ? email : name;
  if (auto queued = QueueMail(tx, t, email, vars, now); !queued) {
    return std::unexpected(std::move(queued.error()));
  }
  return email;
}

namespace {

using db::BillingStore;
using db::Transaction;

constexpr std::int64_t kDayMs = 86'400'000;

// Writes the invoice's payment columns and mails its user `t` about it (number, amount, link);
// returns the address mailed ("" when the user is gone).
Result<std::string> SavePayment(Transaction& tx, const db::InvoiceRow& row, mail::Template t,
                                std::int64_t now, std::string_view public_url) {
  if (auto r = BillingStore::UpdateInvoicePayment(tx, row); !r) return std::unexpected(r.error());
  return MailUser(tx, row.user_id, t,
                  {{"number", row.number},
                   {"amount", FormatMoney(row.total, row.currency)},
                   {"link", InvoiceLink(public_url, row.id)}},
                  now);
}

// The invoice `invoice_id`; kNotFound with a sentence when there is none.
Result<db::InvoiceRow> InvoiceRowOf(Transaction& tx, std::string_view invoice_id) {
  auto found = BillingStore::FindInvoice(tx, invoice_id);
  if (!found) return std::unexpected(std::move(found.error()));
  if (!*found) return Fail(Errc::kNotFound, "There is no invoice {}.", invoice_id);
  return std::move(**found);
}

}  // namespace

Result<Standing> StandingOf(Transaction& tx, std::int64_t user_id) {
  Standing s;
  auto account = BillingStore::FindAccount(tx, user_id);
  if (!account) return std::unexpected(std::move(account.error()));
  if (!*account) return s;
  s.state = (*account)->state;
  s.past_due_since = (*account)->past_due_since;
  auto open = BillingStore::OpenInvoices(tx, user_id);
  if (!open) return std::unexpected(std::move(open.error()));
  for (const db::InvoiceRow& i : *open) {
    s.amount_due += i.total;
    s.currency = i.currency;
    if (!s.oldest_due_at || i.due_at < *s.oldest_due_at) s.oldest_due_at = i.due_at;
  }
  return s;
}

Result<StandingChange> RefreshStanding(Transaction& tx, const config::BillingConfig& c,
                                       std::int64_t user_id, std::int64_t now,
                                       std::string_view public_url) {
  auto account = BillingStore::FindAccount(tx, user_id);
  if (!account) return std::unexpected(std::move(account.error()));
  if (!*account) return StandingChange::kUnchanged;
  db::BillingAccountRow row = std::move(**account);
  auto open = BillingStore::OpenInvoices(tx, user_id);
  if (!open) return std::unexpected(std::move(open.error()));
  std::optional<std::int64_t> overdue_since;  // When the oldest overdue invoice's grace ended.
  std::int64_t due = 0;
  std::string currency = row.currency;
  for (const db::InvoiceRow& i : *open) {
    due += i.total;
    currency = i.currency;
    const std::int64_t grace_end = i.due_at + c.grace_days * kDayMs;
    if (grace_end <= now && (!overdue_since || grace_end < *overdue_since)) {
      overdue_since = grace_end;
    }
  }
  const bool past_due = row.state == "past_due";
  if (overdue_since && !past_due) {
    row.state = "past_due";
    row.past_due_since = overdue_since;
    row.updated_at = now;
    if (auto put = BillingStore::PutAccount(tx, row); !put) return std::unexpected(put.error());
    auto mailed = MailUser(tx, user_id, mail::Template::kPastDue,
                           {{"amount", FormatMoney(due, currency)},
                            {"since", MailDate(*overdue_since)},
                            {"link", fmt::format("{}/invoices", public_url)}},
                           now);
    if (!mailed) return std::unexpected(mailed.error());
    return StandingChange::kBecamePastDue;
  }
  if (!overdue_since && past_due) {
    row.state = "active";
    row.past_due_since.reset();
    row.updated_at = now;
    if (auto put = BillingStore::PutAccount(tx, row); !put) return std::unexpected(put.error());
    return StandingChange::kLifted;
  }
  return StandingChange::kUnchanged;
}

Result<PaymentOutcome> MarkPaidIn(Transaction& tx, const config::BillingConfig& c,
                                  std::string_view invoice_id, std::string_view via,
                                  std::string_view ref, std::int64_t now,
                                  std::string_view public_url) {
  auto found = InvoiceRowOf(tx, invoice_id);
  if (!found) return std::unexpected(std::move(found.error()));
  db::InvoiceRow row = std::move(*found);
  PaymentOutcome out;
  out.user_id = row.user_id;
  if (row.status == "void") {
    return Fail(Errc::kConflict, "Invoice {} is void; there is nothing to pay.", row.number);
  }
  if (row.status == "paid") {
    out.already_paid = true;
    out.invoice = ToInvoice(std::move(row));
    return out;
  }
  row.status = "paid";
  row.paid_at = now;
  row.paid_via = std::string(via);
  if (!ref.empty()) row.payment_ref = std::string(ref);
  auto mailed = SavePayment(tx, row, mail::Template::kPaymentReceived, now, public_url);
  if (!mailed) return std::unexpected(mailed.error());
  out.email = std::move(*mailed);
  auto change = RefreshStanding(tx, c, row.user_id, now, public_url);
  if (!change) return std::unexpected(std::move(change.error()));
  out.lifted = *change == StandingChange::kLifted;
  out.invoice = ToInvoice(std::move(row));
  return out;
}

Result<Invoice> RecordPaymentFailedIn(Transaction& tx, std::string_view invoice_id,
                                      std::string_view ref, std::int64_t now,
                                      std::string_view public_url) {
  auto found = InvoiceRowOf(tx, invoice_id);
  if (!found) return std::unexpected(std::move(found.error()));
  db::InvoiceRow row = std::move(*found);
  if (row.status != "open") return ToInvoice(std::move(row));
  row.payment_failed_at = now;
  if (!ref.empty()) row.payment_ref = std::string(ref);
  auto mailed = SavePayment(tx, row, mail::Template::kPaymentFailed, now, public_url);
  if (!mailed) return std::unexpected(mailed.error());
  return ToInvoice(std::move(row));
}

std::int64_t Ledger::NowMs() const { return ToUnixMs(deps_.clock.Now()); }

void Ledger::NotifyStanding(std::int64_t user_id) const {
  if (deps_.standing_changed) deps_.standing_changed(user_id);
}

Result<PaymentOutcome> Ledger::MarkPaid(std::string_view invoice, std::string_view via,
                                        std::string_view ref) {
  const std::int64_t now = NowMs();
  auto paid = deps_.db.Write([&](Transaction& tx) -> Result<PaymentOutcome> {
    std::string id(invoice);
    // A number, as invoices and the admin's list print it ("INV-000003"; "inv-000003" too).
    std::string number(invoice);
    for (std::size_t i = 0; i < number.size() && i < 3; ++i) {
      number[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(number[i])));
    }
    if (number.starts_with("INV-")) {
      auto found = BillingStore::InvoiceIdByNumber(tx, number);
      if (!found) return std::unexpected(std::move(found.error()));
      if (!*found) return Fail(Errc::kNotFound, "There is no invoice {}.", number);
      id = std::move(**found);
    }
    return MarkPaidIn(tx, deps_.config, id, via, ref, now, deps_.public_url);
  });
  if (paid && paid->lifted) {
    spdlog::info("invoice {} paid ({}): account no longer past due", paid->invoice.number, via);
    NotifyStanding(paid->user_id);
  }
  return paid;
}

Result<Standing> Ledger::StandingOf(std::int64_t user_id) {
  return deps_.db.Read([&](Transaction& tx) { return billing::StandingOf(tx, user_id); });
}

Result<std::vector<AdminInvoice>> Ledger::ListInvoices(std::optional<std::string> email,
                                                       std::optional<std::string> status) {
  if (status && *status != "open" && *status != "paid" && *status != "void") {
    return Fail(Errc::kInvalidArgument, "There is no invoice status '{}'; use open, paid or void.",
                *status);
  }
  return deps_.db.Read([&](Transaction& tx) -> Result<std::vector<AdminInvoice>> {
    std::optional<std::int64_t> user_id;
    if (email) {
      auto normal = NormalizeEmail(*email);  // As sign-up stored it.
      auto user = db::AccountStore::FindUserByEmail(tx, normal ? *normal : *email);
      if (!user) return std::unexpected(std::move(user.error()));
      if (!*user) return Fail(Errc::kNotFound, "There is no user with the email {}.", *email);
      user_id = (*user)->id;
    }
    auto rows = BillingStore::AllInvoices(tx, user_id, status);
    if (!rows) return std::unexpected(std::move(rows.error()));
    std::map<std::int64_t, std::string> emails;  // One lookup per user, not per invoice.
    std::vector<AdminInvoice> out;
    out.reserve(rows->size());
    for (db::InvoiceRow& row : *rows) {
      auto [at, fresh] = emails.try_emplace(row.user_id);
      if (fresh) {
        auto user = db::ShareStore::UserNameEmail(tx, row.user_id);
        if (!user) return std::unexpected(std::move(user.error()));
        if (*user) at->second = (*user)->second;
      }
      const std::int64_t owner = row.user_id;
      out.push_back({ToInvoice(std::move(row)), owner, at->second});
    }
    return out;
  });
}

}  // namespace nimbus::core::billing
