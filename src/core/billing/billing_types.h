// The values of "Plans and billing" as the API shows them: the offer, a user's plan, quotes,
// invoices and the result of a plan change. Money in minor units; times ms since the epoch (UTC).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/disks.h"

namespace nimbus::core::billing {

// GET /api/v1/plans.
struct PlanOffer {
  int free_gb = 1;
  int min_gb = 10;
  int max_gb = 100;
  int step_gb = 1;
  std::int64_t price_per_gb_month = 0;
  std::string currency;
  std::vector<config::Category> categories;
  std::string payment_instructions;  // PaymentInstructions(config): never empty.
};

// A move of the user's files to disks of the plan's new category, while it runs.
struct Migration {
  std::string state;  // "copying", "switching", "cleaning", … ("pending" before it is picked up).
  std::int64_t copied_bytes = 0;
  std::int64_t copied_blobs = 0;
  std::int64_t total_bytes = 0;  // The user's bytes (files and trash) to move.
};

// GET /api/v1/plan. Money in minor units of `currency`; times ms since the epoch (UTC).
struct Plan {
  std::int64_t size_gb = 1;
  std::string category;
  std::int64_t monthly_price = 0;
  std::string currency;
  std::optional<std::int64_t> period_start;  // nullopt on the free plan.
  std::optional<std::int64_t> period_end;
  std::string state = "active";  // "active" | "past_due" | "migrating".
  std::int64_t balance = 0;      // Credit the next invoices use.
  std::optional<Migration> migration;
  // Given by an admin without charge (monthly_price is then 0): never invoiced, and only an
  // admin changes it.
  bool complimentary = false;
};

// GET /api/v1/plan/quote.
struct Quote {
  std::int64_t size_gb = 0;
  std::string category;
  std::int64_t monthly_price = 0;
  std::string currency;
  std::int64_t prorated_amount = 0;  // Due now; negative: credited to the balance.
  std::int64_t effective_at = 0;     // The change takes effect at once.
  // The sentence PUT /plan would refuse this size with now, empty when it would be taken, and
  // its error code: below_usage (files, trash and uploads in progress take more than it holds),
  // no_capacity (the disks have no room for it), conflict (a plan given by the administrator).
  std::string refusal;
  std::string refusal_code;
};

struct InvoiceLine {
  std::string description;
  std::int64_t size_gb = 0;
  std::int64_t from = 0;
  std::int64_t to = 0;
  std::int64_t amount = 0;  // Negative for a credit.
};

struct Invoice {
  std::string id;
  std::string number;  // "INV-000001".
  std::string status;  // "open" | "paid" | "void".
  std::string currency;
  std::int64_t subtotal = 0;
  std::int64_t credit_applied = 0;
  std::int64_t total = 0;
  std::int64_t period_start = 0;
  std::int64_t period_end = 0;
  std::int64_t issued_at = 0;
  std::int64_t due_at = 0;
  std::optional<std::int64_t> paid_at;
  std::vector<InvoiceLine> lines;
  std::optional<std::string> paid_via;            // "credit" | "provider" | "manual" once paid.
  std::optional<std::int64_t> payment_failed_at;  // The provider's last failed attempt.
};

struct InvoicePage {
  std::vector<Invoice> items;
  std::optional<std::string> next_cursor;
};

// PUT /api/v1/plan.
struct PlanChangeResult {
  Plan plan;
  std::optional<Invoice> invoice;  // Issued at once for an upgrade (or the first paid month).
  std::int64_t credited = 0;       // Credited by a downgrade: it pays open invoices first,
  std::int64_t settled = 0;        // this much of it did; the rest went to the balance.
};

}  // namespace nimbus::core::billing
