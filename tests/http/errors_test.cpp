// SPDX-License-Identifier: AGPL-3.0-or-later
#include "http/errors.h"

#include <gtest/gtest.h>

#include <set>

namespace nimbus::http {
namespace {

TEST(ErrorTable, EveryErrcHasItsOwnRow) {
  std::set<std::string_view> codes;
  for (int i = 0; i <= static_cast<int>(Errc::kInternal); ++i) {
    auto errc = static_cast<Errc>(i);
    const ErrorMapping& m = MapError(errc);
    EXPECT_EQ(m.errc, errc) << "row for Errc #" << i;
    EXPECT_GE(m.status, 400) << m.code;
    EXPECT_LT(m.status, 600) << m.code;
    EXPECT_FALSE(m.code.empty());
    EXPECT_FALSE(StatusReason(m.status).empty()) << m.status;
    codes.insert(m.code);
  }
  EXPECT_EQ(ErrorTable().size(), static_cast<std::size_t>(Errc::kInternal) + 1);
  EXPECT_EQ(codes.size(), ErrorTable().size()) << "codes must be distinct";
}

TEST(ErrorTable, CodesAreTheErrcNamesExceptInvalidRequest) {
  for (const ErrorMapping& m : ErrorTable()) {
    if (m.errc == Errc::kInvalidArgument) {
      EXPECT_EQ(m.code, "invalid_request");
    } else {
      EXPECT_EQ(m.code, ErrcName(m.errc));
    }
  }
}

TEST(ErrorTable, StatusesFollowTheApiContract) {
  EXPECT_EQ(MapError(Errc::kNameTaken).status, 409);
  EXPECT_EQ(MapError(Errc::kQuotaExceeded).status, 507);
  EXPECT_EQ(MapError(Errc::kNoCapacity).status, 507);
  EXPECT_EQ(MapError(Errc::kTooLarge).status, 413);
  EXPECT_EQ(MapError(Errc::kUnauthenticated).status, 401);
  EXPECT_EQ(MapError(Errc::kCsrfFailed).status, 403);
  EXPECT_EQ(MapError(Errc::kTooManyAttempts).status, 429);
  EXPECT_EQ(MapError(Errc::kInvalidCredentials).status, 401);
  EXPECT_EQ(MapError(Errc::kEmailUnverified).status, 403);
  EXPECT_EQ(MapError(Errc::kNotFound).status, 404);
  EXPECT_EQ(MapError(Errc::kInvalidArgument).status, 400);
  EXPECT_EQ(MapError(Errc::kIoError).status, 500);
  EXPECT_EQ(MapError(Errc::kInternal).status, 500);
  EXPECT_EQ(MapError(Errc::kUnavailable).status, 503);
  EXPECT_EQ(MapError(Errc::kEmailTaken).status, 409);
  EXPECT_EQ(MapError(Errc::kWeakPassword).status, 400);
}

}  // namespace
}  // namespace nimbus::http
