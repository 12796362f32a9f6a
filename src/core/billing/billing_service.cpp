// SPDX-License-Identifier: AGPL-3.0-or-later
// BillingService: the money comes from plan_pricing (pure), the size from the storage allocation
// (OwnerBlobs::ChangePlan), the account, invoices and credit from BillingStore. A plan change
// changes the storage first (the step that can fail for lack of room, and that cannot be undone
// in a transaction), then records the money in one write transaction.
#include "core/billing/billing_service.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <utility>

#include "core/billing/invoices.h"
#include "core/billing/ledger.h"
#include "core/billing/plan_pricing.h"
#include "core/files/quota_tx.h"
#include "core/secrets.h"
#include "db/stores/billing_store.h"
#include "db/stores/node_store.h"
#include "util/run_blocking.h"

namespace nimbus::core::billing {
namespace {

constexpr char kComplimentaryPlan[] =
    "Your plan was given to you by the administrator of this server, without charge. Ask them "
    "if you need another size.";

// The user's sentence for a plan the disks have no room for (the pool's names disks).
std::string NoRoomForPlan(std::int64_t size_gb) {
  return fmt::format(
      "This server has no room for a {} GB plan right now, so your plan stays as it was and "
      "nothing is charged. The administrator has been told; try again later or pick a size in "
      "another range.",
      size_gb);
}

using db::BillingAccountRow;
using db::BillingStore;
using db::InvoiceRow;
using db::Transaction;

// What a plan change needs to know, read in one snapshot.
struct Holding {
  std::optional<BillingAccountRow> account;
  std::int64_t allocation_gb = 0;  // The allocation's size (the target's during a move).
  std::int64_t live_bytes = 0;
  std::int64_t trash_bytes = 0;
  std::int64_t used_bytes = 0;      // Every recorded blob (the allocation's counter).
  std::int64_t reserved_bytes = 0;  // Uploads in progress.
  bool moving = false;
};

std::int64_t GbOfBytes(std::int64_t bytes) {
  const auto gib = static_cast<std::int64_t>(storage::kGiB);
  return bytes / gib + (bytes % gib != 0 ? 1 : 0);
}

Result<Holding> ReadHolding(Transaction& tx, std::int64_t user_id) {
  Holding h;
  auto account = BillingStore::FindAccount(tx, user_id);
  if (!account) return std::unexpected(std::move(account.error()));
  h.account = std::move(*account);
  auto quota = files::LoadQuota(tx, user_id);
  if (!quota) return std::unexpected(std::move(quota.error()));
  h.allocation_gb = GbOfBytes(quota->quota_bytes);
  h.used_bytes = quota->used_bytes;
  h.reserved_bytes = quota->reserved_bytes;
  auto live = db::NodeStore::LiveBytes(tx, user_id);
  if (!live) return std::unexpected(std::move(live.error()));
  h.live_bytes = *live;
  auto trash = db::NodeStore::TrashBytes(tx, user_id);
  if (!trash) return std::unexpected(std::move(trash.error()));
  h.trash_bytes = *trash;
  auto move = tx.QueryOne("SELECT 1 FROM allocation_moves WHERE owner_id = ?", {user_id});
  if (!move) return std::unexpected(std::move(move.error()));
  h.moving = move->has_value();
  return h;
}

std::int64_t CurrentGb(const Holding& h) {
  return h.account ? h.account->plan_gb : h.allocation_gb;
}

// The account's money at `now`: a period that ended before the billing job billed it shows as
// the period holding `now` (what the job and a plan change will bill).
AccountMoney MoneyOf(const config::BillingConfig& c, const Holding& h, std::int64_t now) {
  AccountMoney m;
  m.size_gb = CurrentGb(h);
  if (h.account) {
    m.balance = h.account->balance;
    if (h.account->anchor_at && h.account->period_start && h.account->period_end &&
        !IsFree(c, m.size_gb)) {
      m.period = Period{*h.account->anchor_at, *h.account->period_start, *h.account->period_end};
      if (m.period->end_ms <= now) m.period = PeriodAt(*h.account->anchor_at, now);
    }
  }
  return m;
}

// kBelowUsage when the user's files, trash and uploads in progress do not fit in `size_gb` (an
// upload already accepted must still fit). The sentence speaks to the user, or of them to an
// admin (`by_admin`).
Result<void> CheckFits(const Holding& h, std::int64_t size_gb, bool by_admin) {
  const std::int64_t held = std::max(h.live_bytes + h.trash_bytes, h.used_bytes) + h.reserved_bytes;
  const std::int64_t room = size_gb * static_cast<std::int64_t>(storage::kGiB);
  if (held <= room) return {};
  const std::string uploads =
      h.reserved_bytes > 0
          ? fmt::format(", uploads in progress {}", files::HumanBytes(h.reserved_bytes))
          : "";
  return Fail(Errc::kBelowUsage,
              "{} files take {}, {} trash {}{} ({} in all), more than a {} GB plan holds. "
              "{} at least {} (delete files or empty the trash) before {}; nothing is "
              "ever deleted because of a plan change.",
              by_admin ? "This user's" : "Your", files::HumanBytes(h.live_bytes),
              by_admin ? "their" : "your", files::HumanBytes(h.trash_bytes), uploads,
              files::HumanBytes(held), size_gb, by_admin ? "They must free" : "Free",
              files::HumanBytes(held - room), by_admin ? "it can be set" : "choosing it");
}

// The money of a user's change of `before` to `size_gb`: PlanChange, except that a downgrade
// credits only GB some invoice of this period charged, never GB an admin granted without charge
// (the account's uncharged_gb; the charged GB are the ones given up first).
PlanChangeMoney UserChangeMoney(const config::BillingConfig& c, const Holding& h,
                                const AccountMoney& before, std::int64_t size_gb,
                                std::int64_t now) {
  PlanChangeMoney money = PlanChange(c, before, size_gb, now);
  const std::int64_t uncharged = h.account ? h.account->uncharged_gb : 0;
  if (money.prorated_amount >= 0 || uncharged <= 0) return money;
  const std::int64_t dropped = before.size_gb - (IsFree(c, size_gb) ? 0 : size_gb);
  if (dropped <= 0) return money;
  const std::int64_t paid = std::clamp<std::int64_t>(before.size_gb - uncharged, 0, dropped);
  // The credit of the charged GB only: a share of the exact credit, rounded half up as any line.
  const std::int64_t credit = -money.prorated_amount;
  money.prorated_amount = -((credit * paid * 2 + dropped) / (dropped * 2));
  return money;
}

// The GB of the new plan no invoice of its period charged, after a change from `before`:
// an admin's change grants its added GB (all of them from the free plan), a user's upgrade is
// charged, and a downgrade keeps the granted GB that still fit.
std::int64_t UnchargedAfter(const config::BillingConfig& c, std::int64_t uncharged,
                            std::int64_t before_gb, bool before_paid, std::int64_t size_gb,
                            bool charge) {
  if (IsFree(c, size_gb)) return 0;
  if (!before_paid) return charge ? 0 : size_gb;
  if (size_gb >= before_gb) return charge ? uncharged : uncharged + (size_gb - before_gb);
  return std::min(uncharged, size_gb);
}

// The money of the change, recorded: the account row, and an invoice (charge) or the credit.
struct Recorded {
  std::optional<Invoice> invoice;
  std::int64_t credited = 0;
  std::int64_t settled = 0;  // Of `credited`, paid into open invoices.
};

// `prior_gb`: the size before the storage change (the allocation has the new one by now), for a
// user without a billing account yet. Without `charge` (an admin's change) only the account row
// changes: its plan and its period (PlanChange's: one starts now from the free plan, it ends on
// the free plan), no invoice and no credit.
Result<Recorded> RecordChange(Transaction& tx, const config::BillingConfig& c, std::int64_t user_id,
                              std::int64_t size_gb, std::int64_t prior_gb, std::int64_t now,
                              std::string_view public_url, bool charge) {
  // Periods that ended since the last billing job run are invoiced first, so the change
  // prorates against the period it falls in.
  BillingRun billed;
  if (auto r = BillPeriods(tx, c, user_id, now, public_url, billed); !r)
    return std::unexpected(r.error());
  auto holding = ReadHolding(tx, user_id);
  if (!holding) return std::unexpected(std::move(holding.error()));
  AccountMoney before = MoneyOf(c, *holding, now);
  if (!holding->account) before.size_gb = prior_gb;
  const PlanChangeMoney money = UserChangeMoney(c, *holding, before, size_gb, now);
  BillingAccountRow row = holding->account.value_or(BillingAccountRow{});
  if (!holding->account) {
    row.user_id = user_id;
    row.currency = c.currency;
    row.created_at = now;
  }
  row.plan_gb = size_gb;
  row.updated_at = now;
  row.anchor_at = money.period ? std::optional(money.period->anchor_ms) : std::nullopt;
  row.period_start = money.period ? std::optional(money.period->start_ms) : std::nullopt;
  row.period_end = money.period ? std::optional(money.period->end_ms) : std::nullopt;
  row.uncharged_gb = UnchargedAfter(c, row.uncharged_gb, before.size_gb, before.period.has_value(),
                                    size_gb, charge);
  Recorded out;
  if (!charge) {
    // Nothing to invoice or credit.
  } else if (money.prorated_amount < 0) {
    out.credited = -money.prorated_amount;
    row.balance += out.credited;
    // What is still owed is paid first: a user back on a smaller plan is not past due while
    // holding credit.
    std::vector<std::pair<db::InvoiceRow, std::int64_t>> paid;
    auto settled = SettleOpenInvoices(tx, row, now, &paid);
    if (!settled) return std::unexpected(std::move(settled.error()));
    out.settled = *settled;
    // Each invoice the credit changed was mailed before: its user hears of the change.
    for (const auto& [inv, take] : paid) {
      const std::string rest =
          inv.total == 0 ? std::string("Nothing more is due on it.")
                         : fmt::format("{} is still due.", FormatMoney(inv.total, inv.currency));
      auto mailed = MailUser(tx, user_id, mail::Template::kCreditApplied,
                             {{"number", inv.number},
                              {"amount", FormatMoney(take, inv.currency)},
                              {"rest", rest},
                              {"link", InvoiceLink(public_url, inv.id)}},
                             now);
      if (!mailed) return std::unexpected(std::move(mailed.error()));
    }
  } else if (money.prorated_amount > 0) {
    auto issued = IssueInvoice(tx, c, row, money.lines, now, public_url);
    if (!issued) return std::unexpected(std::move(issued.error()));
    out.invoice = ToInvoice(std::move(*issued));
  }
  if (auto r = BillingStore::PutAccount(tx, row); !r) return std::unexpected(r.error());
  if (out.credited > 0) {  // Settled invoices may lift a past-due standing.
    auto standing = RefreshStanding(tx, c, user_id, now, public_url);
    if (!standing) return std::unexpected(std::move(standing.error()));
  }
  return out;
}

}  // namespace

std::int64_t BillingService::NowMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deps_.clock.Now().time_since_epoch())
      .count();
}

PlanOffer BillingService::Offer() const {
  const config::BillingConfig& c = deps_.config;
  return PlanOffer{c.free_gb,
                   c.min_gb,
                   c.max_gb,
                   c.step_gb,
                   c.price_per_gb_month,
                   c.currency,
                   deps_.pool.categories(),
                   PaymentInstructions(c)};
}

net::awaitable<Result<Plan>> BillingService::GetPlan(std::int64_t user_id) {
  auto read = [this, user_id] {
    return deps_.db.Read([&](Transaction& tx) { return ReadHolding(tx, user_id); });
  };
  Result<Holding> h = co_await RunBlocking(deps_.workers, std::move(read));
  if (!h) co_return std::unexpected(std::move(h.error()));
  const config::BillingConfig& c = deps_.config;
  const AccountMoney money = MoneyOf(c, *h, NowMs());
  Plan p;
  p.size_gb = money.size_gb;
  auto category = CategoryOf(deps_.pool.categories(), p.size_gb);
  p.category = category ? *category : "";
  p.monthly_price = MonthlyPrice(c, p.size_gb);
  p.currency = h->account ? h->account->currency : c.currency;
  if (money.period) {
    p.period_start = money.period->start_ms;
    p.period_end = money.period->end_ms;
  }
  p.balance = money.balance;
  if (h->account && h->account->complimentary && !IsFree(c, p.size_gb)) {
    p.complimentary = true;
    p.monthly_price = 0;
  }
  if (h->moving) {
    Migration m;
    m.state = "pending";
    m.total_bytes = h->used_bytes;
    if (auto progress = deps_.blobs.MoveProgressOf(user_id)) {
      m.state = progress->state;
      m.copied_bytes = progress->copied_bytes;
      m.copied_blobs = progress->copied_blobs;
    }
    p.migration = std::move(m);
    p.state = "migrating";
  }
  if (h->account && h->account->state == "past_due") p.state = "past_due";
  co_return p;
}

net::awaitable<Result<Quote>> BillingService::QuotePlan(std::int64_t user_id,
                                                        std::int64_t size_gb) {
  const config::BillingConfig& c = deps_.config;
  if (auto ok = CheckPlanSize(c, size_gb); !ok) co_return std::unexpected(std::move(ok.error()));
  auto category = CategoryOf(deps_.pool.categories(), size_gb);
  if (!category) co_return std::unexpected(std::move(category.error()));
  auto read = [this, user_id] {
    return deps_.db.Read([&](Transaction& tx) { return ReadHolding(tx, user_id); });
  };
  Result<Holding> h = co_await RunBlocking(deps_.workers, std::move(read));
  if (!h) co_return std::unexpected(std::move(h.error()));
  const std::int64_t now = NowMs();
  const PlanChangeMoney money = UserChangeMoney(c, *h, MoneyOf(c, *h, now), size_gb, now);
  Quote q{size_gb,
          std::move(*category),
          MonthlyPrice(c, size_gb),
          c.currency,
          money.prorated_amount,
          now,
          "",
          ""};
  // Said before the user confirms, with the sentence the change itself would answer.
  if (h->account && h->account->complimentary) {
    q.refusal = kComplimentaryPlan;
    q.refusal_code = "conflict";
  } else if (auto fits = CheckFits(*h, size_gb, false); !fits) {
    q.refusal = fits.error().message;
    q.refusal_code = ErrcName(fits.error().code);
  } else if (size_gb != h->allocation_gb) {
    // The disks: a size whose category has no room now would be refused after the user
    // confirmed (QA pass 19b). Asked as the change would ask, changing nothing.
    const std::uint64_t bytes = static_cast<std::uint64_t>(size_gb) * storage::kGiB;
    auto check = [this, user_id, bytes] { return deps_.pool.CheckRoom(user_id, bytes); };
    Result<void> room = co_await RunBlocking(deps_.workers, std::move(check));
    if (!room && room.error().code == Errc::kNoCapacity) {
      // The pool told the admins (kNoCapacity, once per category), as the change would.
      spdlog::info("plan quote of user {} for {} GB: no room ({})", user_id, size_gb,
                   room.error().message);
      q.refusal = NoRoomForPlan(size_gb);
      q.refusal_code = ErrcName(Errc::kNoCapacity);
    } else if (!room && room.error().code != Errc::kNotFound) {
      // Not a reason to refuse a price: the change itself checks again.
      spdlog::warn("plan quote of user {} for {} GB: room not checked: {}", user_id, size_gb,
                   room.error().message);
    }
  }
  co_return q;
}

std::shared_ptr<void> BillingService::BeginChange(std::int64_t user_id) {
  std::lock_guard lock(changing_mu_);
  if (!changing_.insert(user_id).second) return nullptr;
  // Not null (the caller tests it); the deleter ends the change.
  return std::shared_ptr<void>(static_cast<void*>(this), [this, user_id](void*) {
    std::lock_guard end(changing_mu_);
    changing_.erase(user_id);
  });
}

net::awaitable<Result<PlanChangeResult>> BillingService::ChangePlan(std::int64_t user_id,
                                                                    std::int64_t size_gb) {
  co_return co_await ApplyPlanChange(user_id, size_gb, std::nullopt);
}

net::awaitable<Result<PlanChangeResult>> BillingService::SetPlanByAdmin(
    std::int64_t user_id, std::int64_t size_gb, std::int64_t admin_id,
    std::optional<bool> complimentary) {
  co_return co_await ApplyPlanChange(user_id, size_gb, admin_id, complimentary);
}

// Who changed a plan, for the log: an admin's id, or the command line (id 0).
static std::string AdminName(std::int64_t admin_id) {
  return admin_id == 0 ? std::string("(the command line)") : std::to_string(admin_id);
}

net::awaitable<Result<PlanChangeResult>> BillingService::ApplyPlanChange(
    std::int64_t user_id, std::int64_t size_gb, std::optional<std::int64_t> admin_id,
    std::optional<bool> complimentary) {
  const config::BillingConfig& c = deps_.config;
  const bool by_admin = admin_id.has_value();
  if (auto ok = CheckPlanSize(c, size_gb); !ok) co_return std::unexpected(std::move(ok.error()));
  if (auto cat = CategoryOf(deps_.pool.categories(), size_gb); !cat) {
    co_return std::unexpected(std::move(cat.error()));
  }
  std::shared_ptr<void> changing = BeginChange(user_id);
  if (!changing) {
    co_return Fail(Errc::kConflict,
                   "Another change of {} plan is being made; try again in a moment.",
                   by_admin ? "this user's" : "your");
  }
  auto read = [this, user_id] {
    return deps_.db.Read([&](Transaction& tx) { return ReadHolding(tx, user_id); });
  };
  Result<Holding> h = co_await RunBlocking(deps_.workers, std::move(read));
  if (!h && by_admin && h.error().code == Errc::kNotFound) {
    co_return Fail(Errc::kNotFound, "There is no user with this id.");
  }
  if (!h) co_return std::unexpected(std::move(h.error()));
  if (!by_admin && h->account && h->account->complimentary) {
    co_return Fail(Errc::kConflict, "{}", kComplimentaryPlan);
  }
  if (auto fits = CheckFits(*h, size_gb, by_admin); !fits) co_return std::unexpected(fits.error());
  PlanChangeResult out;
  if (size_gb != CurrentGb(*h) || size_gb != h->allocation_gb) {
    bool resized = false;  // In place: undone below if the money cannot be recorded.
    if (size_gb != h->allocation_gb) {
      const std::uint64_t bytes = static_cast<std::uint64_t>(size_gb) * storage::kGiB;
      auto changed = co_await deps_.blobs.ChangePlan(user_id, bytes);
      if (!changed) {
        Error e = std::move(changed.error());
        if (e.code == Errc::kConflict && h->moving) {
          e.message = by_admin ? "This user's files are still moving to the disks of their last "
                                 "plan change; set the plan again once that has finished."
                               : "Your files are still moving to the disks of your last plan "
                                 "change; change the plan again once that has finished.";
        }
        if (e.code == Errc::kBelowUsage) {
          // Uploads started after the check above: the pool counted them in the transaction
          // that would have changed the plan. Say it as the check does, with what is held now.
          spdlog::info("plan change of user {} to {} GB refused: {}", user_id, size_gb, e.message);
          auto reread = [this, user_id] {
            return deps_.db.Read([&](Transaction& tx) { return ReadHolding(tx, user_id); });
          };
          Result<Holding> now_held = co_await RunBlocking(deps_.workers, std::move(reread));
          Result<void> fits = now_held ? CheckFits(*now_held, size_gb, by_admin) : Result<void>{};
          e.message = !fits ? fits.error().message
                            : fmt::format(
                                  "Uploads in progress need more than a {} GB plan holds; "
                                  "try again once they have finished.",
                                  size_gb);
        }
        if (e.code == Errc::kNoCapacity && by_admin) {
          // The admin may read the pool's message (it names the category and disks).
          e.message = fmt::format("No room for a {} GB plan, so the plan stays as it was: {}",
                                  size_gb, e.message);
        } else if (e.code == Errc::kNoCapacity) {
          // The pool's message names disks: for the log (the admin got the capacity alert).
          spdlog::warn("plan change of user {} to {} GB refused: {}", user_id, size_gb, e.message);
          e.message = NoRoomForPlan(size_gb);
        }
        co_return std::unexpected(std::move(e));
      }
      resized = !changed->moving;
    }
    const std::int64_t now = NowMs();
    const std::int64_t prior_gb = CurrentGb(*h);
    auto record = [this, user_id, size_gb, prior_gb, now, by_admin] {
      return deps_.db.Write([&](Transaction& tx) {
        return RecordChange(tx, deps_.config, user_id, size_gb, prior_gb, now, deps_.public_url,
                            !by_admin);
      });
    };
    Result<Recorded> recorded = co_await RunBlocking(deps_.workers, std::move(record));
    if (deps_.plan_changed) deps_.plan_changed(user_id);
    if (!recorded) {
      Error e = std::move(recorded.error());
      if (resized) {  // Put the allocation back, so the plan and the money still agree.
        const std::uint64_t old_bytes =
            static_cast<std::uint64_t>(h->allocation_gb) * storage::kGiB;
        auto undone = co_await deps_.blobs.ChangePlan(user_id, old_bytes);
        if (!undone) e.message += "; restoring the previous size failed: " + undone.error().message;
      }
      co_return std::unexpected(std::move(e));
    }
    out.invoice = std::move(recorded->invoice);
    out.credited = recorded->credited;
    out.settled = recorded->settled;
    if (by_admin) {
      spdlog::info("admin {} set the plan of user {} from {} GB to {} GB without charge",
                   AdminName(*admin_id), user_id, prior_gb, size_gb);
    }
  }
  // A gift, or the end of one: the flag of the billing account (a free-plan size has none).
  // Kept as it was unless the admin says; a free-plan size ends it.
  const bool was_gift = h->account && h->account->complimentary;
  const bool gift = complimentary.value_or(was_gift) && !IsFree(deps_.config, size_gb);
  if (gift != was_gift || (gift && size_gb != CurrentGb(*h))) {
    auto mark = [this, user_id, gift] {
      return deps_.db.Write([&](Transaction& tx) -> Result<void> {
        auto found = BillingStore::FindAccount(tx, user_id);
        if (!found) return std::unexpected(std::move(found.error()));
        if (!*found) return {};  // Only a paid plan has an account; nothing to mark.
        db::BillingAccountRow row = std::move(**found);
        row.complimentary = gift;
        // Never paid, never credited: a later change of the user's own credits none of it.
        if (gift) row.uncharged_gb = row.plan_gb;
        row.updated_at = NowMs();
        return BillingStore::PutAccount(tx, row);
      });
    };
    if (auto marked = co_await RunBlocking(deps_.workers, std::move(mark)); !marked) {
      co_return std::unexpected(std::move(marked.error()));
    }
    spdlog::info("admin {} {} the plan of user {} a gift (no invoices)",
                 AdminName(admin_id.value_or(0)), gift ? "made" : "stopped making", user_id);
    if (deps_.plan_changed) deps_.plan_changed(user_id);
  }
  auto plan = co_await GetPlan(user_id);
  if (!plan) co_return std::unexpected(std::move(plan.error()));
  out.plan = std::move(*plan);
  co_return out;
}

net::awaitable<Result<InvoicePage>> BillingService::ListInvoices(std::int64_t user_id, int limit,
                                                                 std::string cursor) {
  std::optional<std::int64_t> before;
  if (!cursor.empty()) {
    std::int64_t seq = 0;
    auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), seq);
    if (ec != std::errc() || end != cursor.data() + cursor.size() || seq <= 0) {
      co_return Fail(Errc::kInvalidArgument, "'cursor' is not one this list gave out.");
    }
    before = seq;
  }
  auto read = [this, user_id, before, limit] {
    return deps_.db.Read([&](Transaction& tx) -> Result<InvoicePage> {
      // One more than asked tells whether another page follows.
      auto rows = BillingStore::ListInvoices(tx, user_id, before, limit + 1);
      if (!rows) return std::unexpected(std::move(rows.error()));
      InvoicePage page;
      if (static_cast<int>(rows->size()) > limit) {
        rows->resize(static_cast<std::size_t>(limit));
        page.next_cursor = std::to_string(rows->back().seq);
      }
      for (InvoiceRow& r : *rows) page.items.push_back(ToInvoice(std::move(r)));
      return page;
    });
  };
  co_return co_await RunBlocking(deps_.workers, std::move(read));
}

net::awaitable<Result<Invoice>> BillingService::GetInvoice(std::int64_t user_id, std::string id) {
  auto read = [this, user_id, &id] {
    return deps_.db.Read([&](Transaction& tx) -> Result<Invoice> {
      auto row = BillingStore::FindInvoice(tx, id);
      if (!row) return std::unexpected(std::move(row.error()));
      // Someone else's invoice is not found, like an unknown id (never reveal it exists).
      if (!*row || (*row)->user_id != user_id) {
        return Fail(Errc::kNotFound, "There is no invoice {} on your account.", id);
      }
      return ToInvoice(std::move(**row));
    });
  };
  co_return co_await RunBlocking(deps_.workers, std::move(read));
}

}  // namespace nimbus::core::billing
