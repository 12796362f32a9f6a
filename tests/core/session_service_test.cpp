// SPDX-License-Identifier: AGPL-3.0-or-later
// Sessions (idle and absolute expiry, cache, listing, ending) and personal API tokens.
#include "core/session_service.h"

#include <chrono>

#include "core/accounts_fixture.h"
#include "core/secrets.h"

namespace nimbus::core {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

TEST_F(AccountsTest, SessionCookieIsStoredOnlyAsItsHash) {
  SignUp("ann@example.com");
  NewSession s = LogIn("ann@example.com");
  EXPECT_GE(s.cookie_value.size(), 43u);
  EXPECT_EQ(s.session_id, HashToken(s.cookie_value));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sessions WHERE id = '" + s.cookie_value + "'"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sessions WHERE id = '" + s.session_id + "'"), 1);
}

TEST_F(AccountsTest, IdleSessionsEnd) {
  SignUp("ann@example.com");
  NewSession s = LogIn("ann@example.com");
  clock_.Advance(hours(167));
  auto alive = Run(sessions().Resolve(s.cookie_value));
  ASSERT_TRUE(alive && *alive);  // Used now: the idle clock restarts.
  clock_.Advance(hours(167));
  alive = Run(sessions().Resolve(s.cookie_value));
  ASSERT_TRUE(alive && *alive);
  clock_.Advance(hours(169));
  auto idle = Run(sessions().Resolve(s.cookie_value));
  ASSERT_TRUE(idle);
  EXPECT_FALSE(*idle);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sessions"), 0) << "an expired session is deleted";
}

TEST_F(AccountsTest, SessionsEndAtTheAbsoluteLifetimeEvenWhenUsed) {
  SignUp("ann@example.com");
  NewSession s = LogIn("ann@example.com");
  for (int day = 0; day < 29; ++day) {
    clock_.Advance(hours(24));
    auto r = Run(sessions().Resolve(s.cookie_value));
    ASSERT_TRUE(r && *r) << day;
  }
  clock_.Advance(hours(25));
  auto r = Run(sessions().Resolve(s.cookie_value));
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
}

TEST_F(AccountsTest, CacheAnswersUntilSessionCacheSeconds) {
  SignUp("ann@example.com");
  NewSession s = LogIn("ann@example.com");
  // Another instance deletes the row behind this one's back: the cache still answers for up to
  // session_cache_s, then the database is asked again.
  ASSERT_TRUE(db_->Write([&](db::Transaction& tx) { return tx.Exec("DELETE FROM sessions"); }));
  auto cached = Run(sessions().Resolve(s.cookie_value));
  ASSERT_TRUE(cached && *cached);
  clock_.Advance(seconds(config_.session_cache_s));
  auto fresh = Run(sessions().Resolve(s.cookie_value));
  ASSERT_TRUE(fresh);
  EXPECT_FALSE(*fresh);
  EXPECT_FALSE(Run(sessions().Resolve("made-up-cookie")).value());
}

// A cache refresh reads the session; its last use is written at most once a minute, so the
// short session cache does not cost a write every few seconds.
TEST_F(AccountsTest, ARefreshWritesTheLastUseAtMostOnceAMinute) {
  SignUp("ann@example.com");
  NewSession s = LogIn("ann@example.com");
  auto last_seen = [&] {
    auto v = db_->Read([&](db::Transaction& tx) -> Result<std::int64_t> {
      auto row = tx.QueryOne("SELECT last_seen_at FROM sessions");
      if (!row) return std::unexpected(row.error());
      return (**row).Int(0);
    });
    return v.value_or(-1);
  };
  const std::int64_t first = last_seen();
  clock_.Advance(seconds(config_.session_cache_s + 1));
  auto read = Run(sessions().Resolve(s.cookie_value));
  ASSERT_TRUE(read && *read);
  EXPECT_EQ(last_seen(), first) << "a refresh within the minute only reads";
  clock_.Advance(seconds(60));
  auto written = Run(sessions().Resolve(s.cookie_value));
  ASSERT_TRUE(written && *written);
  EXPECT_GT(last_seen(), first) << "a minute later the use is recorded";
}

TEST_F(AccountsTest, ListEndOneAndEndAllButCurrent) {
  SignUp("ann@example.com");
  NewSession a = LogIn("ann@example.com");
  NewSession b = LogIn("ann@example.com");
  NewSession c = LogIn("ann@example.com");
  auto list = Run(sessions().List(a.user.id, a.session_id));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 3u);
  int current = 0;
  for (const auto& s : *list) {
    current += s.current ? 1 : 0;
    EXPECT_EQ(s.user_agent, "test-agent");
    EXPECT_EQ(s.ip, "10.0.0.1");
  }
  EXPECT_EQ(current, 1);
  ASSERT_TRUE(Run(sessions().End(a.user.id, b.session_id)));
  EXPECT_FALSE(Run(sessions().Resolve(b.cookie_value)).value());
  auto not_mine = Run(sessions().End(a.user.id + 1, c.session_id));
  ASSERT_FALSE(not_mine);
  EXPECT_EQ(not_mine.error().code, Errc::kNotFound);
  auto ended = Run(sessions().EndAll(a.user.id, a.session_id));
  ASSERT_TRUE(ended);
  EXPECT_EQ(*ended, 1);
  EXPECT_FALSE(Run(sessions().Resolve(c.cookie_value)).value());
  EXPECT_TRUE(Run(sessions().Resolve(a.cookie_value)).value());
  ASSERT_TRUE(Run(sessions().Logout(a.session_id)));
  EXPECT_FALSE(Run(sessions().Resolve(a.cookie_value)).value());
}

TEST_F(AccountsTest, ApiTokensAreShownOnceHashedLimitedAndRevocable) {
  User ann = SignUp("ann@example.com");
  config_.max_api_tokens = 2;
  auto t1 = Run(sessions().CreateToken(ann.id, " laptop sync "));
  ASSERT_TRUE(t1) << t1.error().message;
  EXPECT_EQ(t1->name, "laptop sync");
  EXPECT_TRUE(t1->token.starts_with("nmb_"));
  EXPECT_EQ(
      Count("SELECT COUNT(*) FROM api_tokens WHERE token_hash = '" + HashToken(t1->token) + "'"),
      1);
  ASSERT_TRUE(Run(sessions().CreateToken(ann.id, "phone")));
  auto third = Run(sessions().CreateToken(ann.id, "tablet"));
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().code, Errc::kConflict);
  auto empty = Run(sessions().CreateToken(ann.id, "   "));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, Errc::kInvalidArgument);

  auto who = Run(sessions().ResolveToken(t1->token));
  ASSERT_TRUE(who && *who);
  EXPECT_EQ((*who)->user.id, ann.id);
  EXPECT_FALSE((*who)->via_cookie());
  auto list = Run(sessions().ListTokens(ann.id));
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  for (const auto& t : *list) EXPECT_TRUE(t.token.empty()) << "never shown again";

  ASSERT_TRUE(Run(sessions().RevokeToken(ann.id, t1->id)));
  EXPECT_FALSE(Run(sessions().ResolveToken(t1->token)).value());
  auto twice = Run(sessions().RevokeToken(ann.id, t1->id));
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, Errc::kNotFound);
}

TEST_F(AccountsTest, LoginsSweepExpiredSessionsAndOldRateLimitEvents) {
  User ann = SignUp("ann@example.com");
  Run(passwords().Login("ann@example.com", "wrong wrong wrong", {"10.0.0.1", ""}));
  ASSERT_TRUE(Run(sessions().Create(ann, ClientInfo{"10.0.0.1", "a"})));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sessions"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM auth_events"), 2);  // Account and IP.
  clock_.Advance(hours(24 * 8));  // Idle past 7 days; events older than a day.
  for (int i = 0; i < 64; ++i)
    ASSERT_TRUE(Run(sessions().Create(ann, ClientInfo{"10.0.0.1", "b"})));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sessions"), 64) << "the idle one was swept";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM auth_events"), 0);
}

}  // namespace
}  // namespace nimbus::core
