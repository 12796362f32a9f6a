// SPDX-License-Identifier: AGPL-3.0-or-later
// Every error form of the loader, checked against the exact line an operator sees.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/load.h"
#include "config_test_util.h"

namespace nimbus::config {
namespace {

using testing::ErrorFor;
using testing::ErrorOf;
using ::testing::HasSubstr;
using testing::LoadFrom;
using ::testing::MatchesRegex;
using testing::TempConfigDir;

TEST(ConfigErrors, WrongType) {
  EXPECT_EQ(ErrorFor("server.toml", "listen = 42\n"),
            "server.toml: listen: expected a string \"host:port\", got the integer 42");
  EXPECT_EQ(ErrorFor("server.toml", "io_threads = \"two\"\n"),
            "server.toml: io_threads: expected an integer, got the string \"two\"");
  EXPECT_EQ(ErrorFor("accounts.toml", "require_email_verification = 1\n"),
            "accounts.toml: require_email_verification: expected a boolean (true or false), got "
            "the integer 1");
  EXPECT_EQ(ErrorFor("email.toml", "smtp = 5\n"),
            "email.toml: smtp: expected a table ([smtp] section), got the integer 5");
}

TEST(ConfigErrors, OutOfRange) {
  EXPECT_EQ(ErrorFor("server.toml", "io_threads = 0\n"),
            "server.toml: io_threads: must be between 1 and 256, got 0");
  EXPECT_EQ(ErrorFor("accounts.toml", "argon2_memory_mib = 8\n"),
            "accounts.toml: argon2_memory_mib: must be between 19 and 4096, got 8");
  EXPECT_EQ(ErrorFor("email.toml", "[smtp]\nport = 70000\n"),
            "email.toml: smtp.port: must be between 1 and 65535, got 70000");
  EXPECT_EQ(ErrorFor("disks.toml", "near_full_ratio = 1.5\n"),
            "disks.toml: near_full_ratio: must be between 0.1 and 1, got 1.5");
}

TEST(ConfigErrors, BadStringValues) {
  EXPECT_EQ(ErrorFor("server.toml", "listen = \"localhost\"\n"),
            "server.toml: listen: must be \"host:port\" with a port from 0 to 65535, got "
            "\"localhost\"");
  EXPECT_EQ(ErrorFor("server.toml", "log_format = \"xml\"\n"),
            "server.toml: log_format: must be one of \"text\", \"json\", got \"xml\"");
  EXPECT_EQ(ErrorFor("server.toml", "public_url = \"files.example.com\"\n"),
            "server.toml: public_url: must be an http:// or https:// URL with a host, got "
            "\"files.example.com\"");
  EXPECT_EQ(ErrorFor("files.toml", "trash_purge_at = \"25:00\"\n"),
            "files.toml: trash_purge_at: must be a daily time \"HH:MM\" (UTC, 00:00 to 23:59), got "
            "\"25:00\"");
  EXPECT_EQ(ErrorFor("billing.toml", "currency = \"usd\"\n"),
            "billing.toml: currency: must be a three-letter ISO 4217 code such as \"USD\", got "
            "\"usd\"");
  EXPECT_EQ(ErrorFor("files.toml", "max_upload_bytes = \"10GB\"\n"),
            "files.toml: max_upload_bytes: expected a byte count (an integer or a string like "
            "\"200GiB\"), got the string \"10GB\"");
}

TEST(ConfigErrors, DatabaseUrlErrorHidesPassword) {
  std::string e = ErrorFor("server.toml", "database = \"mysql://root:hunter2@db/x\"\n");
  EXPECT_EQ(e,
            "server.toml: database: must be \"sqlite:<path>\", \"postgres://…\" or "
            "\"postgresql://…\", got \"mysql://root:***@db/x\"");
}

TEST(ConfigErrors, UnknownKeyWithSuggestion) {
  EXPECT_EQ(ErrorFor("server.toml", "listn = \"127.0.0.1:1\"\n"),
            "server.toml: listn: unknown key (did you mean \"listen\"?)");
  EXPECT_EQ(ErrorFor("email.toml", "[smtp]\nprot = 25\n"),
            "email.toml: smtp.prot: unknown key (did you mean \"port\"?)");
  EXPECT_EQ(ErrorFor("files.toml", "completely_unrelated = 1\n"),
            "files.toml: completely_unrelated: unknown key");
}

TEST(ConfigErrors, ParseErrorNamesLineAndColumn) {
  std::string e =
      ErrorFor("server.toml", "# comment\nlisten = \"127.0.0.1:1\"\nio_threads = = 3\n");
  EXPECT_THAT(e, MatchesRegex("server\\.toml:3:[0-9]+: parse error: [^\n]+"));
}

TEST(ConfigErrors, UnknownConfigFile) {
  EXPECT_EQ(ErrorFor("sever.toml", "listen = \"127.0.0.1:1\"\n"),
            "sever.toml: unknown config file (did you mean \"server.toml\"?) (known: server, "
            "accounts, email, disks, billing, files .toml)");
}

TEST(ConfigErrors, ConfigFileThatIsADirectory) {
  TempConfigDir dir;
  std::filesystem::create_directories(dir.path() / "server.toml");
  EXPECT_EQ(ErrorOf(LoadFrom(dir)), "server.toml: is not a regular file");
}

TEST(ConfigErrors, BadEnvironmentValue) {
  TempConfigDir dir;
  EXPECT_EQ(ErrorOf(LoadFrom(dir, {{"NIMBUS_SERVER_IO_THREADS", "abc"}})),
            "NIMBUS_SERVER_IO_THREADS: expected an integer, got \"abc\"");
  EXPECT_EQ(ErrorOf(LoadFrom(dir, {{"NIMBUS_SERVER_IO_THREADS", "0"}})),
            "NIMBUS_SERVER_IO_THREADS: must be between 1 and 256, got 0");
  EXPECT_EQ(ErrorOf(LoadFrom(dir, {{"NIMBUS_ACCOUNTS_SIGNUP_ENABLED", "yes"}})),
            "NIMBUS_ACCOUNTS_SIGNUP_ENABLED: expected a boolean (true or false), got \"yes\"");
  EXPECT_EQ(
      ErrorOf(LoadFrom(dir, {{"NIMBUS_EMAIL_SMTP_SECURITY", "ssl"}})),
      "NIMBUS_EMAIL_SMTP_SECURITY: must be one of \"starttls\", \"tls\", \"none\", got \"ssl\"");
}

TEST(ConfigErrors, UnknownEnvironmentVariableForKnownFile) {
  TempConfigDir dir;
  EXPECT_EQ(ErrorOf(LoadFrom(dir, {{"NIMBUS_SERVER_LISTN", "127.0.0.1:1"}})),
            "NIMBUS_SERVER_LISTN: unknown setting (did you mean NIMBUS_SERVER_LISTEN?)");
  EXPECT_EQ(ErrorOf(LoadFrom(dir, {{"NIMBUS_EMAIL_SMTP_PORTT", "25"}})),
            "NIMBUS_EMAIL_SMTP_PORTT: unknown setting (did you mean NIMBUS_EMAIL_SMTP_PORT?)");
}

TEST(ConfigErrors, BadFlags) {
  LoadOptions options;
  options.listen = "nonsense";
  auto c = LoadConfig(options);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().message,
            "--listen: must be \"host:port\" with a port from 0 to 65535, got \"nonsense\"");
}

TEST(ConfigErrors, TlsHalfSet) {
  TempConfigDir dir;
  dir.Write("cert.pem", "cert");
  dir.Write("server.toml", "tls_cert = \"cert.pem\"\n");
  EXPECT_EQ(ErrorOf(LoadFrom(dir)),
            "server.toml: tls_key: must be set together with tls_cert (both or neither)");
}

TEST(ConfigErrors, TlsFileMissing) {
  TempConfigDir dir;
  dir.Write("cert.pem", "cert");
  dir.Write("server.toml", "tls_cert = \"cert.pem\"\ntls_key = \"missing.pem\"\n");
  EXPECT_EQ(ErrorOf(LoadFrom(dir)), "server.toml: tls_key: file \"" +
                                        (dir.path() / "missing.pem").string() +
                                        "\" does not exist");
}

TEST(ConfigErrors, TlsFromEnvironmentNamesTheVariable) {
  TempConfigDir dir;
  EXPECT_EQ(ErrorOf(LoadFrom(dir, {{"NIMBUS_SERVER_TLS_CERT", "/nonexistent/cert.pem"},
                                   {"NIMBUS_SERVER_TLS_KEY", "/nonexistent/key.pem"}})),
            "NIMBUS_SERVER_TLS_CERT: file \"/nonexistent/cert.pem\" does not exist\n"
            "NIMBUS_SERVER_TLS_KEY: file \"/nonexistent/key.pem\" does not exist");
}

TEST(ConfigErrors, SecretFileMissing) {
  TempConfigDir dir;
  dir.Write("email.toml", "[smtp]\npassword_file = \"nope.txt\"\n");
  EXPECT_EQ(ErrorOf(LoadFrom(dir)), "email.toml: smtp.password_file: cannot read \"" +
                                        (dir.path() / "nope.txt").string() +
                                        "\": No such file or directory");
}

TEST(ConfigErrors, SecretAndSecretFileBothSet) {
  EXPECT_EQ(ErrorFor("billing.toml", "webhook_secret = \"a\"\nwebhook_secret_file = \"b\"\n"),
            "billing.toml: webhook_secret_file: set either webhook_secret or webhook_secret_file, "
            "not both");
}

TEST(ConfigErrors, CrossKeyRules) {
  EXPECT_EQ(ErrorFor("accounts.toml", "session_lifetime_h = 10\nsession_idle_h = 20\n"),
            "accounts.toml: session_idle_h: must not exceed session_lifetime_h (10), got 20");
  EXPECT_EQ(ErrorFor("billing.toml", "min_gb = 10\nmax_gb = 100\nstep_gb = 7\n"),
            "billing.toml: step_gb: must divide max_gb - min_gb (90), got 7");
  EXPECT_EQ(ErrorFor("email.toml", "transport = \"smtp\"\n[smtp]\nhost = \"\"\n"),
            "email.toml: transport: is \"smtp\" but smtp.host is empty");
}

TEST(ConfigErrors, SeveralErrorsEachOnTheirOwnLine) {
  TempConfigDir dir;
  dir.Write("server.toml", "io_threads = 0\nlisten = 42\nlog_levl = \"info\"\n");
  dir.Write("files.toml", "tus_expiry_h = -1\n");
  std::string e = ErrorOf(LoadFrom(dir, {{"NIMBUS_ACCOUNTS_ARGON2_PASSES", "1"}}));
  EXPECT_EQ(e,
            "server.toml: listen: expected a string \"host:port\", got the integer 42\n"
            "server.toml: io_threads: must be between 1 and 256, got 0\n"
            "server.toml: log_levl: unknown key (did you mean \"log_level\"?)\n"
            "NIMBUS_ACCOUNTS_ARGON2_PASSES: must be between 2 and 64, got 1\n"
            "files.toml: tus_expiry_h: must be between 1 and 8760, got -1");
}

TEST(ConfigErrors, ParseErrorDoesNotHideOtherFiles) {
  TempConfigDir dir;
  dir.Write("server.toml", "listen = \n");
  dir.Write("files.toml", "trash_retention_days = -5\n");
  std::string e = ErrorOf(LoadFrom(dir));
  EXPECT_THAT(e, MatchesRegex("server\\.toml:1:[0-9]+: parse error: [^\n]+\n"
                              "files\\.toml: trash_retention_days: must be between 0 and 36500, "
                              "got -5"));
}

}  // namespace
}  // namespace nimbus::config
