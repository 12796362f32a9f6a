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
#include "core/billing/billing_report.h"
#include "core/billing/billing_types.h"
#include "db/database.h"
#include "storage/engine/owner_blobs.h"
#include "storage/pool/disk_pool.h"
#include "util/clock.h"
#include "util/result.h"
#include "util/worker_pool.h"

namespace nimbus::core::billing {

namespace net = boost::asio;

struct BillingDeps {
  db::Database& db;  // Migrated to 0010_billing.
  storage::OwnerBlobs& blobs;
  storage::DiskPool& pool;
  WorkerPool& workers;
  const Clock& clock;
  const config::BillingConfig& config;
  // Called after a user's plan (their quota) changed, e.g. to drop a cached profile. May be empty.
  std::function<void(std::int64_t user_id)> plan_changed;
  const std::string& public_url;  // For the links in mails ("https://host").
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
  // An admin (`admin_id`, for the log) sets the plan of `user_id` without charging: the same
  // checks, errors and storage change as ChangePlan, then only the billing account changes (no
  // invoice, no credit). A paid plan without a period starts one now (the billing job invoices
  // the next one as usual); going to the free plan ends the period. kNotFound for an unknown
  // user (one without a storage allocation). `invoice` is null and `credited` 0 in the result.
  // With `complimentary` set, the plan is (true) or stops being (false) a gift: while it is one
  // no period is invoiced and the user's own changes are refused; after it, the next period is
  // invoiced as for any paid plan. A free-plan size is never complimentary.
  net::awaitable<Result<PlanChangeResult>> SetPlanByAdmin(
      std::int64_t user_id, std::int64_t size_gb, std::int64_t admin_id,
      std::optional<bool> complimentary = std::nullopt);
  // The admin billing report: the last 12 months with invoices issued or paid in the configured
  // currency, users and allocated GB per category, past-due accounts and the open amount. The
  // caller checks that the user is an admin.
  net::awaitable<Result<BillingReport>> Report();
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
  // ChangePlan (`admin_id` nullopt: the user's own change, charged) and SetPlanByAdmin.
  net::awaitable<Result<PlanChangeResult>> ApplyPlanChange(
      std::int64_t user_id, std::int64_t size_gb, std::optional<std::int64_t> admin_id,
      std::optional<bool> complimentary = std::nullopt);

  BillingDeps deps_;
  std::mutex changing_mu_;
  std::set<std::int64_t> changing_;  // Users whose ChangePlan runs. Guarded by changing_mu_.
};

}  // namespace nimbus::core::billing
