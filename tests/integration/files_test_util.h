// FilesTest: the fixture of the files integration tests (issue 5): a real server with one
// signed-in user, and short helpers for the node, content and trash endpoints.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <boost/json.hpp>
#include <string>
#include <vector>

#include "integration/accounts_test_util.h"
#include "support/python.h"

namespace nimbus::test {

class FilesTest : public AccountsTest {
 protected:
  // Starts the server (plus `env`), signs up and logs in `email` as me().
  void StartWithUser(EnvVars env = {}, const std::string& email = "ann@example.com");
  const Browser& me() const { return me_; }
  // A JSON call as me() (cookie + CSRF).
  HttpResponse Api(const std::string& method, const std::string& target,
                   const std::string& body = "", Headers extra = {});
  // PUT /api/v1/nodes/{parent}/content?path=…&on_conflict=… with `bytes` (path is URL-encoded
  // here).
  HttpResponse Put(const std::string& parent, const std::string& path, const std::string& bytes,
                   const std::string& on_conflict = "fail", Headers extra = {});
  // GET /api/v1/nodes/{id}/content.
  HttpResponse Download(const std::string& id, Headers extra = {});
  // The id of a node in a JSON response body ("" when absent).
  static std::string IdOf(const HttpResponse& r);
  // GET /api/v1/me → usage.{used_bytes, trash_bytes, quota_bytes}.
  boost::json::object Usage();
  std::string Db() const { return data_dir() + "/nimbus.db"; }
  // One SQL statement on the server's database; its rows as Python prints them.
  std::string Sql(const std::string& sql) {
    return Python(
        "import sqlite3, sys\n"
        "c = sqlite3.connect(sys.argv[1], timeout=10)\n"
        "r = c.execute(sys.argv[2]).fetchall()\n"
        "c.commit()\n"
        "print(r)",
        {Db(), sql});
  }

 private:
  Browser me_;
};

// Percent-encodes everything but unreserved characters (RFC 3986), '/' included when `slash`.
std::string UrlEncode(const std::string& s, bool keep_slash = true);

}  // namespace nimbus::test
