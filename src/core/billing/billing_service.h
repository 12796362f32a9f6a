// BillingService: the "Plans and billing" part of api.md on top of the money rules
// (plan_pricing.h), the storage allocation (OwnerBlobs/DiskPool: the allocation is the quota)
// and BillingStore: the plans on offer, the user's plan, quotes, plan changes with their invoice
// or credit, and the user's invoices.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/billing.h"
#include "config/disks.h"
#include "db/database.h"
#include "storage/engine/owner_blobs.h"
#include "storage/pool/disk_pool.h"
#include "util/clock.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::core::billing {

namespace net = boost::asio;

// GET /api/v1/plans.
struct PlanOffer {
  int free_gb = 1;
  int min_gb = 10;
  int max_gb = 100;
  int step_gb = 1;
  std::int64_t price_per_gb_month = 0;
  std::string currency;
  std::vector<config::Category> categories;
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
};

// GET /api/v1/plan/quote.
struct Quote {
  std::int64_t size_gb = 0;
  std::string category;
  std::int64_t monthly_price = 0;
  std::string currency;
  std::int64_t prorated_amount = 0;  // Due now; negative: credited to the balance.
  std::int64_t effective_at = 0;     // The change takes effect at once.
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
};

struct InvoicePage {
  std::vector<Invoice> items;
  std::optional<std::string> next_cursor;
};

// PUT /api/v1/plan.
struct PlanChangeResult {
  Plan plan;
  std::optional<Invoice> invoice;  // Issued at once for an upgrade (or the first paid month).
  std::int64_t credited = 0;       // Added to the balance by a downgrade.
};

struct BillingDeps {
  db::Database& db;  // Migrated to 0010_billing.
  storage::OwnerBlobs& blobs;
  storage::DiskPool& pool;
  WorkerPool& workers;
  const Clock& clock;
  const config::BillingConfig& config;
  // Called after a user's plan (their quota) changed, e.g. to drop a cached profile. May be empty.
  std::function<void(std::int64_t user_id)> plan_changed;
};

// Thread-safe. Deps must outlive it.
class BillingService {
 public:
  explicit BillingService(BillingDeps deps) : deps_(std::move(deps)) {}

  PlanOffer Offer() const;
  const config::BillingConfig& config() const { return deps_.config; }
  // The user's plan: from their billing account, or the free plan of their allocation.
  // kNotFound when the user has no storage allocation.
  net::awaitable<Result<Plan>> GetPlan(std::int64_t user_id);
  // What changing to `size_gb` now would cost. kInvalidPlanSize for a size not on offer.
  net::awaitable<Result<Quote>> QuotePlan(std::int64_t user_id, std::int64_t size_gb);
  // Changes the plan: kInvalidPlanSize; kBelowUsage (saying how much to free) when files and
  // trash take more than `size_gb`; then the storage change (same category: resize; another: a
  // background move) with its errors as they come (kNoCapacity, kConflict while a move runs):
  // nothing changes then. Then, in one transaction, the billing account and an invoice issued at
  // once (upgrade) or a credit to the balance (downgrade). The new quota applies at once.
  // kConflict while another change of the same user runs in this process.
  net::awaitable<Result<PlanChangeResult>> ChangePlan(std::int64_t user_id, std::int64_t size_gb);
  // The user's invoices with their lines, newest first; `cursor` ("" for the first page) is the
  // page's next_cursor. kInvalidArgument for a cursor that is not one.
  net::awaitable<Result<InvoicePage>> ListInvoices(std::int64_t user_id, int limit,
                                                   std::string cursor);
  // One of the user's invoices with its lines; kNotFound for anyone else's or an unknown id.
  net::awaitable<Result<Invoice>> GetInvoice(std::int64_t user_id, std::string id);

 private:
  std::int64_t NowMs() const;
  // Marks `user_id` as changing plan until the returned handle is destroyed; null when a change of
  // theirs is running already (the storage step and the money must not interleave).
  std::shared_ptr<void> BeginChange(std::int64_t user_id);

  BillingDeps deps_;
  std::mutex changing_mu_;
  std::set<std::int64_t> changing_;  // Users whose ChangePlan runs. Guarded by changing_mu_.
};

}  // namespace nimbus::core::billing
