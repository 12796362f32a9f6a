// BillingStore: the SQL of plans and billing (migrations 0010_billing, 0012_billing_standing):
// billing accounts, invoices with their lines, and the payment webhook events seen.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.h"
#include "util/result.h"

namespace nimbus::db {

// One row of `billing_accounts`. Money in minor units; times in ms since the Unix epoch (UTC).
struct BillingAccountRow {
  std::int64_t user_id = 0;
  std::int64_t plan_gb = 1;
  std::string currency;
  std::optional<std::int64_t> anchor_at;  // nullopt on the free plan.
  std::optional<std::int64_t> period_start;
  std::optional<std::int64_t> period_end;
  std::int64_t balance = 0;      // Credit left for the next invoices (>= 0).
  std::string state = "active";  // "active" | "past_due".
  std::int64_t created_at = 0;
  std::int64_t updated_at = 0;
  std::optional<std::int64_t> past_due_since;  // Set while state is "past_due".
  // GB of plan_gb that no invoice of the current period charged (an admin's grant): a downgrade
  // credits nothing for them. 0 once the billing job invoices a new period.
  std::int64_t uncharged_gb = 0;
  // Given by an admin without charge for as long as it is set: no period is invoiced, and the
  // user cannot change the plan (the admin does).
  bool complimentary = false;
};

struct InvoiceLineRow {
  std::string description;
  std::int64_t size_gb = 0;
  std::int64_t from_at = 0;
  std::int64_t to_at = 0;
  std::int64_t amount = 0;  // Negative for a credit.
};

struct InvoiceRow {
  std::string id;
  std::int64_t user_id = 0;
  std::int64_t seq = 0;         // 1, 2, … over all invoices.
  std::string number;           // "INV-000001".
  std::string status = "open";  // "open" | "paid" | "void".
  std::string currency;
  std::int64_t subtotal = 0;
  std::int64_t credit_applied = 0;
  std::int64_t total = 0;
  std::int64_t period_start = 0;
  std::int64_t period_end = 0;
  std::int64_t issued_at = 0;
  std::int64_t due_at = 0;
  std::optional<std::int64_t> paid_at;
  std::vector<InvoiceLineRow> lines;    // Filled by Insert and FindInvoice; empty in lists.
  std::optional<std::string> paid_via;  // "credit" | "provider" | "manual" once paid.
  std::optional<std::int64_t> payment_failed_at;  // The provider's last failed attempt.
  std::optional<std::string> payment_ref;         // The webhook event id or the admin's note.
};

// Stateless: every method takes the transaction to run in. SQL errors as Transaction documents.
class BillingStore {
 public:
  static Result<std::optional<BillingAccountRow>> FindAccount(Transaction& tx,
                                                              std::int64_t user_id);
  // Inserts or replaces the whole row.
  static Result<void> PutAccount(Transaction& tx, const BillingAccountRow& row);

  // The next invoice sequence number (1 for the first).
  static Result<std::int64_t> NextInvoiceSeq(Transaction& tx);
  // Inserts the invoice and its lines (positions 0, 1, …). kConflict on a duplicate id or seq.
  static Result<void> InsertInvoice(Transaction& tx, const InvoiceRow& row);
  // The invoice with its lines; nullopt when there is none with that id.
  static Result<std::optional<InvoiceRow>> FindInvoice(Transaction& tx, std::string_view id);
  // `user_id`'s invoices with their lines, newest first, at most `limit`, those with a seq
  // below `before_seq` when it is given (paging).
  static Result<std::vector<InvoiceRow>> ListInvoices(Transaction& tx, std::int64_t user_id,
                                                      std::optional<std::int64_t> before_seq,
                                                      int limit);

  // Sets the payment columns of an invoice (status, paid_at, paid_via, payment_ref,
  // payment_failed_at) from `row`; kNotFound when there is no invoice with its id.
  static Result<void> UpdateInvoicePayment(Transaction& tx, const InvoiceRow& row);
  // Sets credit_applied, total and the payment columns of UpdateInvoicePayment from `row` (a
  // credit that settles part or all of an open invoice); kNotFound without an invoice `row.id`.
  static Result<void> UpdateInvoiceCredit(Transaction& tx, const InvoiceRow& row);
  // The open invoices of `user_id` (without lines), oldest due first.
  static Result<std::vector<InvoiceRow>> OpenInvoices(Transaction& tx, std::int64_t user_id);

  // The billing job's work, in batches: up to `limit` user ids above `after_user`, ascending, of
  // paid accounts (plan_gb other than `free_gb`) whose period ended at or before `now`.
  static Result<std::vector<std::int64_t>> AccountsDue(Transaction& tx, std::int64_t now,
                                                       std::int64_t free_gb,
                                                       std::int64_t after_user, int limit);
  // Up to `limit` user ids above `after_user`, ascending, of accounts with an open invoice or in
  // state past_due (those whose standing may change).
  static Result<std::vector<std::int64_t>> AccountsToRefresh(Transaction& tx,
                                                             std::int64_t after_user, int limit);
  // Every invoice (without lines), oldest first; only `user_id`'s and only those of `status`
  // when given (the admin's list).
  static Result<std::vector<InvoiceRow>> AllInvoices(Transaction& tx,
                                                     std::optional<std::int64_t> user_id,
                                                     std::optional<std::string_view> status);
  // The id of the invoice numbered `number` ("INV-000003"); nullopt when there is none.
  static Result<std::optional<std::string>> InvoiceIdByNumber(Transaction& tx,
                                                              std::string_view number);

  // Records a webhook event id; false when it was seen before (a replay).
  static Result<bool> RecordEvent(Transaction& tx, std::string_view id, std::string_view type,
                                  std::int64_t received_at);
};

}  // namespace nimbus::db
