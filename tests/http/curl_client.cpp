// SPDX-License-Identifier: AGPL-3.0-or-later
#include "http/curl_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstring>

namespace nimbus::http::test {

namespace {

bool IEq(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

size_t OnBody(char* p, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(p, size * n);
  return size * n;
}

size_t OnHeader(char* p, size_t size, size_t n, void* user) {
  auto* headers = static_cast<std::vector<std::pair<std::string, std::string>>*>(user);
  std::string_view line(p, size * n);
  if (line.starts_with("HTTP/")) headers->clear();  // A new (final or interim) response.
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.remove_suffix(1);
    headers->emplace_back(std::string(line.substr(0, colon)), std::string(value));
  }
  return size * n;
}

struct UploadState {
  const std::string* data;
  std::size_t pos = 0;
};

size_t OnRead(char* p, size_t size, size_t n, void* user) {
  auto* s = static_cast<UploadState*>(user);
  std::size_t k = std::min(size * n, s->data->size() - s->pos);
  std::memcpy(p, s->data->data() + s->pos, k);
  s->pos += k;
  return k;
}

}  // namespace

std::string CurlResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (IEq(k, name)) return v;
  }
  return "";
}

CurlClient::CurlClient() : handle_(curl_easy_init()) {}
CurlClient::~CurlClient() { curl_easy_cleanup(static_cast<CURL*>(handle_)); }

CurlResponse CurlClient::Perform(const CurlRequest& req) {
  CURL* h = static_cast<CURL*>(handle_);
  curl_easy_reset(h);
  CurlResponse out;
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req.timeout_ms);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &out.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &out.headers);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (req.insecure_tls) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  UploadState upload{req.upload};
  if (req.upload != nullptr) {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, &OnRead);
    curl_easy_setopt(h, CURLOPT_READDATA, &upload);
    if (!req.chunked_upload) {
      curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.upload->size()));
    }
  }
  if (req.head) curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  curl_slist* list = nullptr;
  for (const auto& hd : req.headers) list = curl_slist_append(list, hd.c_str());
  if (req.chunked_upload) list = curl_slist_append(list, "Transfer-Encoding: chunked");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
  CURLcode rc = curl_easy_perform(h);
  curl_slist_free_all(list);
  out.curl_code = static_cast<int>(rc);
  if (rc != CURLE_OK) out.error = errbuf[0] ? errbuf : curl_easy_strerror(rc);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out.status);
  curl_off_t up = 0;
  curl_easy_getinfo(h, CURLINFO_SIZE_UPLOAD_T, &up);
  out.uploaded = up;
  curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &out.seconds);
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &out.new_connects);
  return out;
}

}  // namespace nimbus::http::test
