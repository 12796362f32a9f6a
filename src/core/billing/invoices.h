// Invoices inside a write transaction: issuing one (credit applied, numbered, the user mailed) and
// turning rows into the API's values. Shared by plan changes (BillingService) and the billing job
// and payments (Ledger), so an invoice is made one way only. Internal to core/billing.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/billing.h"
#include "core/billing/billing_types.h"
#include "core/billing/plan_pricing.h"
#include "db/database.h"
#include "db/stores/billing_store.h"
#include "util/result.h"

namespace nimbus::core::billing {

Invoice ToInvoice(db::InvoiceRow row);

// The page of invoice `id` in the web app ("<public_url>/invoices/<id>").
std::string InvoiceLink(std::string_view public_url, std::string_view id);

// Issues an invoice of `lines` (at least one; their sum > 0) for `account`: takes what it can
// from account.balance (the caller writes the account row afterwards), numbers it INV-NNNNNN,
// due `config.invoice_due_days` after `now`; fully paid by the credit it is "paid" via "credit"
// at once. The period printed is the first line's from..to. When something is due, the user is
// mailed (kInvoiceIssued with a link under `public_url`) in the same transaction.
Result<db::InvoiceRow> IssueInvoice(db::Transaction& tx, const config::BillingConfig& config,
                                    db::BillingAccountRow& account,
                                    const std::vector<MoneyLine>& lines, std::int64_t now,
                                    std::string_view public_url);

// Pays the open invoices of `account` from its balance, oldest due first (the caller writes the
// account row afterwards): each takes what it can into credit_applied, and one whose total
// reaches 0 is "paid" via "credit" now. A downgrade's credit thus settles what is still owed
// before it waits for the next invoice. Returns how much of the balance was used.
// `settled`, when given, gets each invoice changed (as it is now) with the credit it took.
Result<std::int64_t> SettleOpenInvoices(
    db::Transaction& tx, db::BillingAccountRow& account, std::int64_t now,
    std::vector<std::pair<db::InvoiceRow, std::int64_t>>* settled = nullptr);

// How to pay an open invoice: billing.payment_instructions, or a sentence sending the user to
// the administrator when it is empty.
std::string PaymentInstructions(const config::BillingConfig& config);

// "12 Dec 2026" (UTC) for mails.
std::string MailDate(std::int64_t ms);

}  // namespace nimbus::core::billing
