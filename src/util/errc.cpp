// SPDX-License-Identifier: AGPL-3.0-or-later
#include "util/errc.h"

namespace nimbus {

std::string_view ErrcName(Errc code) {
  switch (code) {
    case Errc::kInvalidArgument:
      return "invalid_argument";
    case Errc::kInvalidName:
      return "invalid_name";
    case Errc::kInvalidMove:
      return "invalid_move";
    case Errc::kRangeNotSatisfiable:
      return "range_not_satisfiable";
    case Errc::kNotFound:
      return "not_found";
    case Errc::kNameTaken:
      return "name_taken";
    case Errc::kUserNotFound:
      return "user_not_found";
    case Errc::kCannotShareWithSelf:
      return "cannot_share_with_self";
    case Errc::kAlreadyShared:
      return "already_shared";
    case Errc::kRecipientUnconfirmed:
      return "recipient_unconfirmed";
    case Errc::kConflict:
      return "conflict";
    case Errc::kPreconditionFailed:
      return "precondition_failed";
    case Errc::kInvalidPlanSize:
      return "invalid_plan_size";
    case Errc::kBelowUsage:
      return "below_usage";
    case Errc::kPaymentRequired:
      return "payment_required";
    case Errc::kBadSignature:
      return "bad_signature";
    case Errc::kReplayed:
      return "replayed";
    case Errc::kQuotaExceeded:
      return "quota_exceeded";
    case Errc::kTooLarge:
      return "too_large";
    case Errc::kNoCapacity:
      return "no_capacity";
    case Errc::kUnauthenticated:
      return "unauthenticated";
    case Errc::kForbidden:
      return "forbidden";
    case Errc::kCsrfFailed:
      return "csrf_failed";
    case Errc::kTooManyAttempts:
      return "too_many_attempts";
    case Errc::kWeakPassword:
      return "weak_password";
    case Errc::kInvalidEmail:
      return "invalid_email";
    case Errc::kEmailTaken:
      return "email_taken";
    case Errc::kInvalidToken:
      return "invalid_token";
    case Errc::kInvalidCredentials:
      return "invalid_credentials";
    case Errc::kPasswordRequired:
      return "password_required";
    case Errc::kEmailUnverified:
      return "email_unverified";
    case Errc::kIoError:
      return "io_error";
    case Errc::kChecksumMismatch:
      return "checksum_mismatch";
    case Errc::kUnavailable:
      return "unavailable";
    case Errc::kStorageUnavailable:
      return "storage_unavailable";
    case Errc::kTimeout:
      return "timeout";
    case Errc::kCancelled:
      return "cancelled";
    case Errc::kClientGone:
      return "client_closed_request";
    case Errc::kRequestTimeout:
      return "request_timeout";
    case Errc::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace nimbus
