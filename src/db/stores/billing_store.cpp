// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/billing_store.h"

#include <fmt/core.h>

#include <cstdint>

namespace nimbus::db {
namespace {

constexpr std::string_view kInvoiceCols =
    "id, user_id, seq, number, status, currency, subtotal, credit_applied, total, period_start,"
    " period_end, issued_at, due_at, paid_at, paid_via, payment_failed_at, payment_ref";

InvoiceRow ToInvoice(Row& r) {
  InvoiceRow i;
  i.id = r.TakeText(0);
  i.user_id = r.Int(1);
  i.seq = r.Int(2);
  i.number = r.TakeText(3);
  i.status = r.TakeText(4);
  i.currency = r.TakeText(5);
  i.subtotal = r.Int(6);
  i.credit_applied = r.Int(7);
  i.total = r.Int(8);
  i.period_start = r.Int(9);
  i.period_end = r.Int(10);
  i.issued_at = r.Int(11);
  i.due_at = r.Int(12);
  i.paid_at = r.OptInt(13);
  i.paid_via = r.OptText(14);
  i.payment_failed_at = r.OptInt(15);
  i.payment_ref = r.OptText(16);
  return i;
}

Result<void> LoadLines(Transaction& tx, InvoiceRow& invoice) {
  auto lines = tx.Query(
      "SELECT description, size_gb, from_at, to_at, amount FROM invoice_lines"
      " WHERE invoice_id = ? ORDER BY position",
      {invoice.id});
  if (!lines) return std::unexpected(std::move(lines.error()));
  for (Row& l : *lines) {
    invoice.lines.push_back({l.TakeText(0), l.Int(1), l.Int(2), l.Int(3), l.Int(4)});
  }
  return {};
}

}  // namespace

Result<std::optional<BillingAccountRow>> BillingStore::FindAccount(Transaction& tx,
                                                                   std::int64_t user_id) {
  auto row = tx.QueryOne(
      "SELECT user_id, plan_gb, currency, anchor_at, period_start, period_end, balance, state,"
      " created_at, updated_at, past_due_since, uncharged_gb, complimentary FROM billing_accounts"
      " WHERE user_id = ?",
      {user_id});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<BillingAccountRow>();
  Row& r = **row;
  return std::optional<BillingAccountRow>(BillingAccountRow{
      r.Int(0), r.Int(1), r.TakeText(2), r.OptInt(3), r.OptInt(4), r.OptInt(5), r.Int(6),
      r.TakeText(7), r.Int(8), r.Int(9), r.OptInt(10), r.Int(11), r.Int(12) != 0});
}

Result<void> BillingStore::PutAccount(Transaction& tx, const BillingAccountRow& a) {
  auto deleted = tx.Exec("DELETE FROM billing_accounts WHERE user_id = ?", {a.user_id});
  if (!deleted) return deleted;
  return tx.Exec(
      "INSERT INTO billing_accounts (user_id, plan_gb, currency, anchor_at, period_start,"
      " period_end, balance, state, created_at, updated_at, past_due_since, uncharged_gb,"
      " complimentary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      {a.user_id, a.plan_gb, a.currency, a.anchor_at, a.period_start, a.period_end, a.balance,
       a.state, a.created_at, a.updated_at, a.past_due_since, a.uncharged_gb,
       std::int64_t{a.complimentary ? 1 : 0}});
}

Result<std::int64_t> BillingStore::NextInvoiceSeq(Transaction& tx) {
  auto row = tx.QueryOne("SELECT COALESCE(MAX(seq), 0) + 1 FROM invoices");
  if (!row) return std::unexpected(std::move(row.error()));
  return (*row)->Int(0);
}

Result<void> BillingStore::InsertInvoice(Transaction& tx, const InvoiceRow& i) {
  auto inserted = tx.Exec(
      fmt::format("INSERT INTO invoices ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,"
                  " ?, ?)",
                  kInvoiceCols),
      {i.id, i.user_id, i.seq, i.number, i.status, i.currency, i.subtotal, i.credit_applied,
       i.total, i.period_start, i.period_end, i.issued_at, i.due_at, i.paid_at, i.paid_via,
       i.payment_failed_at, i.payment_ref});
  if (!inserted) return inserted;
  std::int64_t position = 0;
  for (const InvoiceLineRow& l : i.lines) {
    auto line = tx.Exec(
        "INSERT INTO invoice_lines (invoice_id, position, description, size_gb, from_at, to_at,"
        " amount) VALUES (?, ?, ?, ?, ?, ?, ?)",
        {i.id, position++, l.description, l.size_gb, l.from_at, l.to_at, l.amount});
    if (!line) return line;
  }
  return {};
}

Result<std::optional<InvoiceRow>> BillingStore::FindInvoice(Transaction& tx, std::string_view id) {
  auto row = tx.QueryOne(fmt::format("SELECT {} FROM invoices WHERE id = ?", kInvoiceCols), {id});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<InvoiceRow>();
  InvoiceRow invoice = ToInvoice(**row);
  if (auto lines = LoadLines(tx, invoice); !lines) return std::unexpected(lines.error());
  return std::optional<InvoiceRow>(std::move(invoice));
}

Result<std::vector<InvoiceRow>> BillingStore::ListInvoices(Transaction& tx, std::int64_t user_id,
                                                           std::optional<std::int64_t> before_seq,
                                                           int limit) {
  auto rows = tx.Query(fmt::format("SELECT {} FROM invoices WHERE user_id = ? AND seq < ?"
                                   " ORDER BY seq DESC LIMIT ?",
                                   kInvoiceCols),
                       {user_id, before_seq.value_or(INT64_MAX), limit});
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<InvoiceRow> out;
  out.reserve(rows->size());
  for (Row& r : *rows) {
    out.push_back(ToInvoice(r));
    if (auto lines = LoadLines(tx, out.back()); !lines) return std::unexpected(lines.error());
  }
  return out;
}

Result<void> BillingStore::UpdateInvoicePayment(Transaction& tx, const InvoiceRow& i) {
  auto updated = tx.ExecCount(
      "UPDATE invoices SET status = ?, paid_at = ?, paid_via = ?, payment_ref = ?,"
      " payment_failed_at = ? WHERE id = ?",
      {i.status, i.paid_at, i.paid_via, i.payment_ref, i.payment_failed_at, i.id});
  if (!updated) return std::unexpected(std::move(updated.error()));
  if (*updated == 0) return Fail(Errc::kNotFound, "There is no invoice {}.", i.id);
  return {};
}

Result<void> BillingStore::UpdateInvoiceCredit(Transaction& tx, const InvoiceRow& i) {
  auto updated = tx.ExecCount("UPDATE invoices SET credit_applied = ?, total = ? WHERE id = ?",
                              {i.credit_applied, i.total, i.id});
  if (!updated) return std::unexpected(std::move(updated.error()));
  if (*updated == 0) return Fail(Errc::kNotFound, "There is no invoice {}.", i.id);
  return UpdateInvoicePayment(tx, i);
}

Result<std::vector<InvoiceRow>> BillingStore::OpenInvoices(Transaction& tx, std::int64_t user_id) {
  auto rows = tx.Query(fmt::format("SELECT {} FROM invoices WHERE user_id = ? AND status = 'open'"
                                   " ORDER BY due_at, seq",
                                   kInvoiceCols),
                       {user_id});
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<InvoiceRow> out;
  out.reserve(rows->size());
  for (Row& r : *rows) out.push_back(ToInvoice(r));
  return out;
}

namespace {

Result<std::vector<std::int64_t>> UserIds(Result<std::vector<Row>> rows) {
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<std::int64_t> out;
  out.reserve(rows->size());
  for (const Row& r : *rows) out.push_back(r.Int(0));
  return out;
}

}  // namespace

Result<std::vector<std::int64_t>> BillingStore::AccountsDue(Transaction& tx, std::int64_t now,
                                                            std::int64_t free_gb,
                                                            std::int64_t after_user, int limit) {
  return UserIds(tx.Query(
      "SELECT user_id FROM billing_accounts WHERE period_end IS NOT NULL AND period_end <= ?"
      " AND plan_gb <> ? AND user_id > ? ORDER BY user_id LIMIT ?",
      {now, free_gb, after_user, limit}));
}

Result<std::vector<std::int64_t>> BillingStore::AccountsToRefresh(Transaction& tx,
                                                                  std::int64_t after_user,
                                                                  int limit) {
  return UserIds(
      tx.Query("SELECT user_id FROM (SELECT user_id FROM invoices WHERE status = 'open'"
               " UNION SELECT user_id FROM billing_accounts WHERE state = 'past_due') AS u"
               " WHERE user_id > ? ORDER BY user_id LIMIT ?",
               {after_user, limit}));
}

Result<std::vector<InvoiceRow>> BillingStore::AllInvoices(Transaction& tx,
                                                          std::optional<std::int64_t> user_id,
                                                          std::optional<std::string_view> status) {
  std::string where = "1 = 1";
  std::vector<Value> params;
  if (user_id) {
    where += " AND user_id = ?";
    params.emplace_back(*user_id);
  }
  if (status) {
    where += " AND status = ?";
    params.emplace_back(*status);
  }
  auto rows = tx.Query(
      fmt::format("SELECT {} FROM invoices WHERE {} ORDER BY seq", kInvoiceCols, where), params);
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<InvoiceRow> out;
  out.reserve(rows->size());
  for (Row& r : *rows) out.push_back(ToInvoice(r));
  return out;
}

Result<std::optional<std::string>> BillingStore::InvoiceIdByNumber(Transaction& tx,
                                                                   std::string_view number) {
  auto row = tx.QueryOne("SELECT id FROM invoices WHERE number = ?", {number});
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>((**row).TakeText(0));
}

Result<bool> BillingStore::RecordEvent(Transaction& tx, std::string_view id, std::string_view type,
                                       std::int64_t received_at) {
  auto seen = tx.QueryOne("SELECT 1 FROM billing_events WHERE id = ?", {id});
  if (!seen) return std::unexpected(std::move(seen.error()));
  if (*seen) return false;
  auto inserted = tx.Exec("INSERT INTO billing_events (id, type, received_at) VALUES (?, ?, ?)",
                          {id, type, received_at});
  if (!inserted) return std::unexpected(std::move(inserted.error()));
  return true;
}

}  // namespace nimbus::db
