// AccountsTest: the account services over a real SQLite file (migrated), a DiskPool with a
// category-A pair of configurable size, a FakeClock and an io_context to run the coroutines.
// Mail goes to the real outbox table, where tests read the links back.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "core/accounts.h"
#include "db/database.h"
#include "db/migrations.h"
#include "fakes/fake_clock.h"
#include "storage/memory/memory_volume.h"
#include "storage/run_co.h"
#include "support/migrated_db.h"
#include "support/temp_dir.h"

namespace nimbus::core {

class NullAlerts : public storage::AlertSink {
 public:
  void Raise(const storage::Alert&) override {}
};

class AccountsTest : public ::testing::Test {
 protected:
  static constexpr std::uint64_t kG = std::uint64_t{1} << 30;

  void SetUp() override { Open(100 * kG); }

  // (Re)opens everything with a category-A pair of `a_capacity` bytes and no spares.
  void Open(std::uint64_t a_capacity) {
    accounts_.reset();
    pool_.reset();
    db_.reset();
    db_ = nimbus::testing::MigratedSqlite(dir_.File("nimbus.db"));
    ASSERT_TRUE(db_);
    config::DisksConfig disks;
    disks.categories = config::DefaultCategories();
    disks.disks.push_back({"a1", "A", "file:/disks/a1", a_capacity, "a1m", "primary"});
    disks.disks.push_back({"a1m", "A", "file:/disks/a1m", a_capacity, "a1", "mirror"});
    storage::VolumeFactory factory =
        [](const storage::DiskInfo& d) -> Result<std::unique_ptr<storage::Volume>> {
      return std::make_unique<storage::MemoryVolume>(d.id, d.capacity_bytes);
    };
    auto pool =
        storage::DiskPool::Open(disks, storage::DiskPoolDeps{*db_, factory, alerts_, clock_});
    ASSERT_TRUE(pool) << pool.error().message;
    pool_ = std::move(*pool);
    accounts_ = std::make_unique<Accounts>(*db_, *pool_, workers_, clock_, config_, public_url_);
  }

  template <class T>
  T Run(boost::asio::awaitable<T> aw) {
    return testing::RunCo(ioc_, std::move(aw));
  }

  AccountService& accounts() { return accounts_->accounts; }
  PasswordService& passwords() { return accounts_->passwords; }
  SessionService& sessions() { return accounts_->sessions; }

  User SignUp(const std::string& email, const std::string& password = "correct horse battery") {
    auto u = Run(accounts().Signup(email, password, "Someone"));
    EXPECT_TRUE(u) << u.error().message;
    return u.value_or(User{});
  }

  NewSession LogIn(const std::string& email, const std::string& password = "correct horse battery",
                   const std::string& ip = "10.0.0.1") {
    LoginOutcome out = Run(passwords().Login(email, password, ClientInfo{ip, "test-agent"}));
    EXPECT_TRUE(out.session) << out.session.error().message;
    return out.session.value_or(NewSession{});
  }

  std::int64_t Count(const std::string& sql) {
    auto n = db_->Read([&](db::Transaction& tx) -> Result<std::int64_t> {
      auto row = tx.QueryOne(sql);
      if (!row) return std::unexpected(row.error());
      return (**row).Int(0);
    });
    EXPECT_TRUE(n) << n.error().message;
    return n.value_or(-1);
  }

  // The queued mails to `to`, oldest first: subject and plain text.
  std::vector<std::pair<std::string, std::string>> Mails(const std::string& to) {
    auto rows = db_->Read([&](db::Transaction& tx) {
      return tx.Query("SELECT subject, text FROM mail_outbox WHERE \"to\" = ? ORDER BY id", {to});
    });
    EXPECT_TRUE(rows) << rows.error().message;
    std::vector<std::pair<std::string, std::string>> out;
    if (rows) {
      for (const auto& r : *rows) out.emplace_back(r.Text(0), r.Text(1));
    }
    return out;
  }

  // The token of the last mail to `to` whose text holds `path`?token=…; "" if none.
  std::string LastToken(const std::string& to, const std::string& path) {
    std::string token;
    const std::regex re(public_url_ + path + R"(\?token=([A-Za-z0-9_-]+))");
    for (const auto& [subject, text] : Mails(to)) {
      std::smatch m;
      if (std::regex_search(text, m, re)) token = m[1];
    }
    return token;
  }

  nimbus::testing::TempDir dir_;
  FakeClock clock_;
  WorkerPool workers_{2};
  NullAlerts alerts_;
  config::AccountsConfig config_;
  std::string public_url_ = "http://nimbus.test:8080";
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<storage::DiskPool> pool_;
  std::unique_ptr<Accounts> accounts_;
  boost::asio::io_context ioc_;
};

}  // namespace nimbus::core
