// SPDX-License-Identifier: AGPL-3.0-or-later
// `nimbus admin invoice mark-paid|list`: manual payments and the invoices of every user, against
// the same database as the server (running or not); no disks are opened.
#include <fmt/core.h>

#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <optional>

#include "api/billing_routes.h"
#include "commands.h"
#include "core/billing/plan_pricing.h"
#include "runtime.h"
#include "util/rfc3339.h"

namespace nimbus::app {
namespace {

namespace billing = core::billing;

void PrintError(const Error& e) { fmt::print(stderr, "nimbus: {}\n", e.message); }

// Bad input (an unknown invoice or email, a wrong status) exits 2; anything else 1.
int ExitCodeOf(const Error& e) {
  return e.code == Errc::kNotFound || e.code == Errc::kInvalidArgument ? 2 : 1;
}

std::string Money(const billing::Invoice& i) { return billing::FormatMoney(i.total, i.currency); }

std::string Who(const std::string& email) { return email.empty() ? "a deleted user" : email; }

}  // namespace

int MarkInvoicePaid(const config::Config& config, const std::string& invoice,
                    const std::string& ref) {
  boost::asio::io_context ioc;  // The runtime's scheduler needs an executor; it never runs here.
  auto rt = OpenRuntime(config, ioc.get_executor());
  if (!rt) {
    PrintError(rt.error());
    return 1;
  }
  billing::Ledger& ledger = *(*rt)->ledger;
  auto paid = ledger.MarkPaid(invoice, billing::kPaidViaManual, ref);
  if (!paid) {
    PrintError(paid.error());
    return ExitCodeOf(paid.error());
  }
  const billing::Invoice& i = paid->invoice;
  if (paid->already_paid) {
    fmt::print("{} was already paid on {} ({}); nothing changed\n", i.number,
               i.paid_at ? FormatRfc3339(FromUnixMs(*i.paid_at)) : "an unknown date",
               i.paid_via.value_or("unknown"));
    return 0;
  }
  std::string standing;
  if (paid->lifted) {
    standing = fmt::format("; {} is no longer past due", Who(paid->email));
  } else if (auto s = ledger.StandingOf(paid->user_id); s && s->state == "past_due") {
    standing = fmt::format("; {} is still past due ({} open)", Who(paid->email),
                           billing::FormatMoney(s->amount_due, s->currency));
  }
  fmt::print("{} paid (manual), {} from {}{}\n", i.number, Money(i), Who(paid->email), standing);
  return 0;
}

int ListInvoices(const config::Config& config, const std::string& email, const std::string& status,
                 bool json) {
  boost::asio::io_context ioc;
  auto rt = OpenRuntime(config, ioc.get_executor(), RuntimeOptions{.existing_data_only = true});
  if (!rt) {
    PrintError(rt.error());
    return 1;
  }
  auto invoices =
      (*rt)->ledger->ListInvoices(email.empty() ? std::nullopt : std::optional(email),
                                  status.empty() ? std::nullopt : std::optional(status));
  if (!invoices) {
    PrintError(invoices.error());
    return ExitCodeOf(invoices.error());
  }
  if (json) {
    boost::json::array out;
    for (const billing::AdminInvoice& a : *invoices) out.push_back(api::AdminInvoiceJson(a));
    fmt::print("{}\n", boost::json::serialize(out));
    return 0;
  }
  fmt::print("{:<12} {:<24} {:<32} {:<6} {:>14} {:<10} {}\n", "NUMBER", "ID", "EMAIL", "STATUS",
             "TOTAL", "ISSUED", "DUE");
  for (const billing::AdminInvoice& a : *invoices) {
    const billing::Invoice& i = a.invoice;
    fmt::print("{:<12} {:<24} {:<32} {:<6} {:>14} {:<10} {}\n", i.number, i.id, Who(a.email),
               i.status, Money(i), FormatRfc3339(FromUnixMs(i.issued_at)).substr(0, 10),
               FormatRfc3339(FromUnixMs(i.due_at)).substr(0, 10));
  }
  return 0;
}

}  // namespace nimbus::app
