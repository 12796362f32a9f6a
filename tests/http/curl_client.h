// CurlClient: a libcurl easy handle for server tests (uploads with a read callback, so curl's
// own Expect: 100-continue behaviour is exercised; TLS; connection reuse).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nimbus::http::test {

struct CurlRequest {
  std::string method = "GET";
  std::string url = {};
  std::vector<std::string> headers = {};  // "Name: value"
  const std::string* upload = nullptr;  // Sent through a read callback with a known size.
  bool chunked_upload = false;          // Send the upload with Transfer-Encoding: chunked.
  bool head = false;
  bool insecure_tls = false;
  long timeout_ms = 10000;
};

struct CurlResponse {
  int curl_code = 0;   // CURLE_OK is 0.
  std::string error;   // curl's message when curl_code != 0.
  long status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // Of the final response.
  std::int64_t uploaded = 0;  // Body bytes curl sent.
  double seconds = 0;
  long new_connects = 0;      // 0 when the connection was reused.
  // First header `name` (case-insensitive), "" when absent.
  std::string Header(std::string_view name) const;
};

// Reusing one CurlClient reuses its connection (keep-alive).
class CurlClient {
 public:
  CurlClient();
  ~CurlClient();
  CurlClient(const CurlClient&) = delete;
  CurlClient& operator=(const CurlClient&) = delete;
  CurlResponse Perform(const CurlRequest& req);

 private:
  void* handle_;
};

}  // namespace nimbus::http::test
