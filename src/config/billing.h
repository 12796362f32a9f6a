// BillingConfig: billing.toml, plan bounds, price, currency, grace period and payment webhook.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>

namespace nimbus::config {

struct BillingConfig {
  std::string currency = "USD";     // ISO 4217 code.
  int64_t price_per_gb_month = 10;  // Minor units (cents) per GB per month.
  int free_gb = 1;                  // The free plan every account starts with.
  int min_gb = 10;                  // Paid plans: min_gb..max_gb in steps of step_gb.
  int max_gb = 100;
  int step_gb = 1;
  int grace_days = 14;                    // Unpaid this long after the due date: past_due.
  int invoice_due_days = 0;               // Days between issuing an invoice and its due date.
  std::string invoice_issuer = "Nimbus";  // Name printed on invoices.
  // How users pay an open invoice (bank details, a payment page), shown with every open invoice,
  // on the plan page and in invoice mails. "": they are told to ask the administrator.
  std::string payment_instructions;
  std::string webhook_secret;             // Secret; from webhook_secret, _file or the environment.
  std::string webhook_secret_file;
  int webhook_tolerance_s = 300;  // Older Nimbus-Signature timestamps are rejected.
  std::string job_schedule = "every 1h";  // When the billing job runs ("every 1h", "daily 02:00").
};

}  // namespace nimbus::config
