// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/billing/invoices.h"

#include <fmt/core.h>

#include <algorithm>
#include <ctime>
#include <utility>

#include "core/account_mail.h"
#include "core/secrets.h"
#include "db/stores/share_store.h"

namespace nimbus::core::billing {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;

}  // namespace

Invoice ToInvoice(db::InvoiceRow r) {
  Invoice i{std::move(r.id),
            std::move(r.number),
            std::move(r.status),
            std::move(r.currency),
            r.subtotal,
            r.credit_applied,
            r.total,
            r.period_start,
            r.period_end,
            r.issued_at,
            r.due_at,
            r.paid_at,
            {},
            std::move(r.paid_via),
            r.payment_failed_at};
  for (db::InvoiceLineRow& l : r.lines) {
    i.lines.push_back({std::move(l.description), l.size_gb, l.from_at, l.to_at, l.amount});
  }
  return i;
}

std::string InvoiceLink(std::string_view public_url, std::string_view id) {
  return fmt::format("{}/invoices/{}", public_url, id);
}

std::string MailDate(std::int64_t ms) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{} {} {}", tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900);
}

std::string PaymentInstructions(const config::BillingConfig& c) {
  if (!c.payment_instructions.empty()) return c.payment_instructions;
  return "Ask the administrator of this server how to pay. The invoice shows as paid as soon "
         "as they record your payment.";
}

Result<std::int64_t> SettleOpenInvoices(
    db::Transaction& tx, db::BillingAccountRow& account, std::int64_t now,
    std::vector<std::pair<db::InvoiceRow, std::int64_t>>* settled) {
  if (account.balance <= 0) return 0;
  auto open = db::BillingStore::OpenInvoices(tx, account.user_id);
  if (!open) return std::unexpected(std::move(open.error()));
  std::int64_t used = 0;
  for (db::InvoiceRow& inv : *open) {
    if (account.balance <= 0) break;
    if (inv.currency != account.currency || inv.total <= 0) continue;
    const std::int64_t take = std::min(account.balance, inv.total);
    inv.credit_applied += take;
    inv.total -= take;
    account.balance -= take;
    used += take;
    if (inv.total == 0) {
      inv.status = "paid";
      inv.paid_at = now;
      inv.paid_via = "credit";
    }
    if (auto r = db::BillingStore::UpdateInvoiceCredit(tx, inv); !r) {
      return std::unexpected(r.error());
    }
    if (settled) settled->emplace_back(inv, take);
  }
  return used;
}

Result<db::InvoiceRow> IssueInvoice(db::Transaction& tx, const config::BillingConfig& c,
                                    db::BillingAccountRow& account,
                                    const std::vector<MoneyLine>& lines, std::int64_t now,
                                    std::string_view public_url) {
  if (lines.empty()) return Fail(Errc::kInternal, "an invoice without lines");
  std::int64_t subtotal = 0;
  for (const MoneyLine& l : lines) subtotal += l.amount;
  const InvoiceTotals totals = ApplyCredit(subtotal, account.balance);
  account.balance = totals.balance_after;
  auto seq = db::BillingStore::NextInvoiceSeq(tx);
  if (!seq) return std::unexpected(std::move(seq.error()));
  db::InvoiceRow inv;
  inv.id = RandomHex(12);
  inv.user_id = account.user_id;
  inv.seq = *seq;
  inv.number = fmt::format("INV-{:06}", *seq);
  // Fully paid by the credit: nothing is owed, so it is paid when issued.
  inv.status = totals.total == 0 ? "paid" : "open";
  inv.currency = account.currency;
  inv.subtotal = totals.subtotal;
  inv.credit_applied = totals.credit_applied;
  inv.total = totals.total;
  inv.period_start = lines.front().from_ms;
  inv.period_end = lines.front().to_ms;
  inv.issued_at = now;
  inv.due_at = now + c.invoice_due_days * kDayMs;
  if (totals.total == 0) {
    inv.paid_at = now;
    inv.paid_via = "credit";
  }
  for (const MoneyLine& l : lines) {
    inv.lines.push_back({l.description, l.size_gb, l.from_ms, l.to_ms, l.amount});
  }
  if (auto r = db::BillingStore::InsertInvoice(tx, inv); !r) return std::unexpected(r.error());
  if (inv.total > 0) {
    auto user = db::ShareStore::UserNameEmail(tx, account.user_id);
    if (!user) return std::unexpected(std::move(user.error()));
    if (*user) {
      const auto& [name, email] = **user;
      auto queued = QueueMail(tx, mail::Template::kInvoiceIssued, email,
                              {{"name", name.empty() ? email : name},
                               {"number", inv.number},
                               {"amount", FormatMoney(inv.total, inv.currency)},
                               {"due", MailDate(inv.due_at)},
                               {"link", InvoiceLink(public_url, inv.id)},
                               {"payment", PaymentInstructions(c)}},
                              now);
      if (!queued) return std::unexpected(queued.error());
    }
  }
  return inv;
}

}  // namespace nimbus::core::billing
