// SPDX-License-Identifier: AGPL-3.0-or-later
#include "mail/smtp_mailer.h"

#include <curl/curl.h>
#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>

#include "mail/format.h"

namespace nimbus::mail {
namespace {

// curl_global_init is not thread-safe in every libcurl build; run it once before any handle.
void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct ReadState {
  std::string_view data;
};

// CURLOPT_READFUNCTION: hands the formatted message to libcurl, which does the SMTP dot-stuffing
// and ends DATA itself.
std::size_t ReadChunk(char* buffer, std::size_t size, std::size_t nitems, void* user) {
  auto* state = static_cast<ReadState*>(user);
  const std::size_t n = std::min(size * nitems, state->data.size());
  std::memcpy(buffer, state->data.data(), n);
  state->data.remove_prefix(n);
  return n;
}

struct CurlDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

}  // namespace

SmtpMailer::SmtpMailer(config::SmtpConfig smtp, std::string from, const Clock& clock)
    : smtp_(std::move(smtp)), from_(std::move(from)), clock_(clock) {}

std::string SmtpMailer::Url() const {
  const char* scheme = smtp_.security == "tls" ? "smtps" : "smtp";
  // An IPv6 literal needs brackets in a URL; the path is the name libcurl says in EHLO.
  const bool v6 = smtp_.host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}/{}", scheme, v6 ? "[" : "", smtp_.host, v6 ? "]" : "",
                     smtp_.port, DomainOf(from_));
}

Result<void> SmtpMailer::Send(const Message& message, std::string_view message_id) {
  GlobalInitOnce();
  std::unique_ptr<CURL, CurlDeleter> h(curl_easy_init());
  if (!h) return Fail(Errc::kUnavailable, "smtp: cannot create a curl handle");
  const std::string url = Url();
  const std::string mail_from = "<" + AddressOf(from_) + ">";
  const std::string rcpt = "<" + AddressOf(message.to) + ">";
  std::unique_ptr<curl_slist, SlistDeleter> rcpts(curl_slist_append(nullptr, rcpt.c_str()));
  const std::string body = FormatMessage(message, from_, message_id, clock_.Now());
  ReadState state{body};
  char error[CURL_ERROR_SIZE] = {0};

  CURL* c = h.get();
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // Worker threads: no SIGALRM for DNS timeouts.
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(smtp_.connect_timeout_s));
  curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(smtp_.timeout_s));
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  if (smtp_.security == "starttls") {
    // CURLUSESSL_ALL: fail rather than send the password or the mail in clear text when the
    // server does not offer STARTTLS.
    curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  } else if (smtp_.security == "none") {
    curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_NONE));
  }
  if (!smtp_.username.empty()) {
    curl_easy_setopt(c, CURLOPT_USERNAME, smtp_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, smtp_.password.c_str());
  }
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts.get());
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, ReadChunk);
  curl_easy_setopt(c, CURLOPT_READDATA, &state);
  curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(body.size()));

  const CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) return {};
  long reply = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply);
  const std::string detail = error[0] != '\0' ? error : curl_easy_strerror(rc);
  if (reply >= 400) {
    return Fail(Errc::kInvalidArgument, "smtp {}:{} refused the message to {}: {} (reply {})",
                smtp_.host, smtp_.port, AddressOf(message.to), detail, reply);
  }
  return Fail(Errc::kUnavailable, "smtp {}:{}: {}", smtp_.host, smtp_.port, detail);
}

}  // namespace nimbus::mail
