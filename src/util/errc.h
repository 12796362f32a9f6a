// Errc: every error a caller may need to tell apart. The HTTP mapping lives in http/errors.cpp.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string_view>

namespace nimbus {

enum class Errc {
  kInvalidArgument,  // Malformed input that has no more specific code.
  kInvalidName,
  kInvalidMove,          // Moving a folder into itself or below itself.
  kRangeNotSatisfiable,  // A Range past the end of the content (416).
  kNotFound,
  kNameTaken,
  kUserNotFound,  // Sharing with an email that has no account.
  kCannotShareWithSelf,
  kAlreadyShared,         // The node is shared with that person already (change it instead).
  kRecipientUnconfirmed,  // Sharing with an account whose email address is not confirmed (409).
  kConflict,
  // An If-Match that no longer matches: the item changed since the client read it (412).
  kPreconditionFailed,
  kInvalidPlanSize,  // A plan size that is neither the free plan nor a paid size (400).
  kBelowUsage,       // A plan smaller than the files and trash the user holds (409).
  kPaymentRequired,  // The account is past due: uploads, copies, restores refused (402).
  kBadSignature,     // A payment webhook whose signature or timestamp does not check out (400).
  kReplayed,         // A payment webhook event id seen before (400).
  kQuotaExceeded,
  kTooLarge,
  kNoCapacity,
  kUnauthenticated,
  kForbidden,
  kCsrfFailed,
  kTooManyAttempts,
  kWeakPassword,
  kInvalidEmail,
  kEmailTaken,
  kInvalidToken,
  kInvalidCredentials,
  kPasswordRequired,  // A public link with a password, opened without one (401).
  kEmailUnverified,
  kIoError,
  kChecksumMismatch,
  kUnavailable,
  // The disks holding the user's files are out of service (both sides of their pair failed, or
  // the pair not open): 503 with a fixed sentence for the user, the real message in the log.
  kStorageUnavailable,
  kTimeout,
  kCancelled,
  // The client closed the connection in the middle of its request (a cut upload): 499 as nginx
  // logs it, not a server error (QA bigfiles #9: a hotel's bad Wi-Fi looked like an outage).
  kClientGone,
  // The client stopped sending its request body for longer than server.body_timeout_s (408).
  kRequestTimeout,
  kInternal,
};

// The snake_case name of a code ("name_taken"); the same string the HTTP API uses.
std::string_view ErrcName(Errc code);

// In the message of a kIoError: the bytes asked for failed their checksums on every copy the
// server keeps (a file that cannot be read any more). The HTTP answer says so to the user, where
// other server faults only say "internal error".
inline constexpr std::string_view kEveryCopyDamaged = "every copy is damaged";

}  // namespace nimbus
