// SPDX-License-Identifier: AGPL-3.0-or-later
#include "http/errors.h"

#include <array>

namespace nimbus::http {

namespace {

// Ordered like the enum so MapError is an index; a test checks every Errc has its row.
// 5xx rows: the client gets a generic message and the request id, the log the real message.
constexpr std::array<ErrorMapping, 40> kTable = {{
    {Errc::kInvalidArgument, 400, "invalid_request"},
    {Errc::kInvalidName, 400, "invalid_name"},
    {Errc::kInvalidMove, 400, "invalid_move"},
    {Errc::kRangeNotSatisfiable, 416, "range_not_satisfiable"},
    {Errc::kNotFound, 404, "not_found"},
    {Errc::kNameTaken, 409, "name_taken"},
    {Errc::kUserNotFound, 404, "user_not_found"},
    {Errc::kCannotShareWithSelf, 400, "cannot_share_with_self"},
    {Errc::kAlreadyShared, 409, "already_shared"},
    {Errc::kRecipientUnconfirmed, 409, "recipient_unconfirmed"},
    {Errc::kConflict, 409, "conflict"},
    {Errc::kPreconditionFailed, 412, "precondition_failed"},
    {Errc::kInvalidPlanSize, 400, "invalid_plan_size"},
    {Errc::kBelowUsage, 409, "below_usage"},
    {Errc::kPaymentRequired, 402, "payment_required"},
    {Errc::kBadSignature, 400, "bad_signature"},
    {Errc::kReplayed, 400, "replayed"},
    {Errc::kQuotaExceeded, 507, "quota_exceeded"},
    {Errc::kTooLarge, 413, "too_large"},
    {Errc::kNoCapacity, 507, "no_capacity"},
    {Errc::kUnauthenticated, 401, "unauthenticated"},
    {Errc::kForbidden, 403, "forbidden"},
    {Errc::kCsrfFailed, 403, "csrf_failed"},
    {Errc::kTooManyAttempts, 429, "too_many_attempts"},
    {Errc::kWeakPassword, 400, "weak_password"},
    {Errc::kInvalidEmail, 400, "invalid_email"},
    {Errc::kEmailTaken, 409, "email_taken"},
    {Errc::kInvalidToken, 400, "invalid_token"},
    {Errc::kInvalidCredentials, 401, "invalid_credentials"},
    {Errc::kPasswordRequired, 401, "password_required"},
    {Errc::kEmailUnverified, 403, "email_unverified"},
    {Errc::kIoError, 500, "io_error"},
    // A checksum the client sent that does not match the bytes it sent. (Corruption found on
    // disk is the storage layer's kIoError.)
    {Errc::kChecksumMismatch, 400, "checksum_mismatch"},
    {Errc::kUnavailable, 503, "unavailable"},
    {Errc::kStorageUnavailable, 503, "storage_unavailable"},
    {Errc::kTimeout, 504, "timeout"},
    {Errc::kCancelled, 503, "cancelled"},
    {Errc::kClientGone, 499, "client_closed_request"},
    {Errc::kRequestTimeout, 408, "request_timeout"},
    {Errc::kInternal, 500, "internal"},
}};

constexpr bool TableIsInEnumOrder() {
  for (std::size_t i = 0; i < kTable.size(); ++i) {
    if (static_cast<std::size_t>(kTable[i].errc) != i) return false;
  }
  return true;
}
static_assert(TableIsInEnumOrder(), "kTable rows must follow the order of enum Errc");
static_assert(static_cast<std::size_t>(Errc::kInternal) + 1 == kTable.size(),
              "every Errc needs a row in kTable");

}  // namespace

const ErrorMapping& MapError(Errc errc) {
  auto i = static_cast<std::size_t>(errc);
  return i < kTable.size() ? kTable[i] : kTable.back();
}

std::span<const ErrorMapping> ErrorTable() { return kTable; }

std::string_view StatusReason(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 207:
      return "Multi-Status";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 416:
      return "Range Not Satisfiable";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 423:
      return "Locked";
    case 424:
      return "Failed Dependency";
    case 429:
      return "Too Many Requests";
    case 499:
      return "Client Closed Request";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 507:
      return "Insufficient Storage";
    default:
      return "";
  }
}

}  // namespace nimbus::http
