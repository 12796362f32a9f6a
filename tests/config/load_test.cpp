// SPDX-License-Identifier: AGPL-3.0-or-later
#include "config/load.h"

#include <gtest/gtest.h>

#include "config_test_util.h"

namespace nimbus::config {
namespace {

using testing::LoadFrom;
using testing::TempConfigDir;

TEST(LoadConfig, DefaultsWithNoConfigDir) {
  auto c = LoadConfig(LoadOptions{});
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->server.listen, "127.0.0.1:8080");
  EXPECT_EQ(c->server.public_url, "http://127.0.0.1:8080");
  EXPECT_TRUE(c->server.public_url_derived);
  std::string data = (std::filesystem::current_path() / "nimbus-data").string();
  EXPECT_EQ(c->server.data_dir, data);
  EXPECT_EQ(c->server.database, "sqlite:" + data + "/nimbus.db");
  EXPECT_EQ(c->server.io_threads, 2);
  EXPECT_EQ(c->server.worker_threads, 8);
  EXPECT_EQ(c->server.header_timeout_s, 10);
  EXPECT_EQ(c->server.max_header_bytes, 16384);
  EXPECT_EQ(c->server.max_json_body_bytes, 1 << 20);
  EXPECT_EQ(c->server.log_format, "text");
  EXPECT_EQ(c->server.db_maintenance_at, "03:30");
  EXPECT_TRUE(c->server.tls_cert.empty());
  EXPECT_EQ(c->accounts.password_min_length, 10);
  EXPECT_EQ(c->accounts.verification_token_ttl_h, 48);
  EXPECT_EQ(c->accounts.reset_token_ttl_min, 60);
  EXPECT_FALSE(c->accounts.require_email_verification);
  EXPECT_EQ(c->email.transport, "file");
  EXPECT_EQ(c->email.mail_dir, data + "/mail");
  EXPECT_EQ(c->disks.disks[0].uri, "file:" + data + "/disks/a1");
  EXPECT_EQ(c->email.smtp.security, "starttls");
  EXPECT_DOUBLE_EQ(c->disks.near_full_ratio, 0.85);
  EXPECT_EQ(c->disks.scrub_at, "04:00");
  EXPECT_EQ(c->billing.currency, "USD");
  EXPECT_EQ(c->billing.price_per_gb_month, 10);
  EXPECT_EQ(c->billing.min_gb, 10);
  EXPECT_EQ(c->billing.max_gb, 100);
  EXPECT_EQ(c->files.trash_retention_days, 30);
  EXPECT_EQ(c->files.trash_purge_at, "03:00");
  EXPECT_EQ(c->files.tus_expiry_h, 24);
}

TEST(LoadConfig, EmptyConfigDirGivesDefaults) {
  TempConfigDir dir;
  auto c = LoadFrom(dir);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->server.listen, "127.0.0.1:8080");
  EXPECT_EQ(c->disks.disks.size(), 10u);
}

TEST(LoadConfig, MissingConfigDirIsAnError) {
  LoadOptions options;
  options.config_dir = "/nonexistent/nimbus-config";
  auto c = LoadConfig(options);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().message, "config directory \"/nonexistent/nimbus-config\" does not exist");
}

TEST(LoadConfig, ReadsServerFile) {
  TempConfigDir dir;
  dir.Write("server.toml", R"(
listen = "0.0.0.0:9000"
public_url = "https://files.example.com/"
data_dir = "/srv/nimbus"
io_threads = 3
worker_threads = 12
header_timeout_s = 5
idle_timeout_s = 20
body_timeout_s = 12
max_header_bytes = 8192
max_connections = 50
log_format = "json"
log_level = "debug"
db_maintenance_at = "01:15"
)");
  auto c = LoadFrom(dir);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->server.listen, "0.0.0.0:9000");
  EXPECT_EQ(c->server.public_url, "https://files.example.com");  // Trailing '/' dropped.
  EXPECT_FALSE(c->server.public_url_derived);
  EXPECT_EQ(c->server.database, "sqlite:/srv/nimbus/nimbus.db");
  EXPECT_EQ(c->email.mail_dir, "/srv/nimbus/mail");
  EXPECT_EQ(c->server.io_threads, 3);
  EXPECT_EQ(c->server.worker_threads, 12);
  EXPECT_EQ(c->server.header_timeout_s, 5);
  EXPECT_EQ(c->server.idle_timeout_s, 20);
  EXPECT_EQ(c->server.body_timeout_s, 12);
  EXPECT_EQ(c->server.max_header_bytes, 8192);
  EXPECT_EQ(c->server.max_connections, 50);
  EXPECT_EQ(c->server.log_format, "json");
  EXPECT_EQ(c->server.log_level, "debug");
  EXPECT_EQ(c->server.db_maintenance_at, "01:15");
  EXPECT_EQ(c->disks.disks[0].uri, "file:/srv/nimbus/disks/a1");
}

TEST(LoadConfig, ReadsTlsPathsRelativeToConfigDir) {
  TempConfigDir dir;
  dir.Write("tls/cert.pem", "cert");
  dir.Write("tls/key.pem", "key");
  dir.Write("server.toml", "tls_cert = \"tls/cert.pem\"\ntls_key = \"tls/key.pem\"\n");
  auto c = LoadFrom(dir);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->server.tls_cert, (dir.path() / "tls/cert.pem").string());
  EXPECT_EQ(c->server.tls_key, (dir.path() / "tls/key.pem").string());
  EXPECT_EQ(c->server.public_url, "https://127.0.0.1:8080");
}

TEST(LoadConfig, AcceptsPostgresAndPortZero) {
  TempConfigDir dir;
  dir.Write("server.toml",
            "listen = \"[::1]:0\"\ndatabase = \"postgresql://nimbus:pw@db/nimbus\"\n");
  auto c = LoadFrom(dir);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->server.listen, "[::1]:0");
  EXPECT_EQ(c->server.database, "postgresql://nimbus:pw@db/nimbus");
}

TEST(LoadConfig, ReadsAccountsFile) {
  TempConfigDir dir;
  dir.Write("accounts.toml", R"(
password_min_length = 12
argon2_memory_mib = 64
argon2_passes = 3
max_concurrent_hashes = 4
session_lifetime_h = 100
session_idle_h = 10
require_email_verification = true
verification_token_ttl_h = 24
reset_token_ttl_min = 30
login_max_failures = 5
login_window_min = 10
)");
  auto c = LoadFrom(dir);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->accounts.password_min_length, 12);
  EXPECT_EQ(c->accounts.argon2_memory_mib, 64);
  EXPECT_EQ(c->accounts.argon2_passes, 3);
  EXPECT_EQ(c->accounts.max_concurrent_hashes, 4);
  EXPECT_EQ(c->accounts.session_lifetime_h, 100);
  EXPECT_EQ(c->accounts.session_idle_h, 10);
  EXPECT_TRUE(c->accounts.require_email_verification);
  EXPECT_EQ(c->accounts.verification_token_ttl_h, 24);
  EXPECT_EQ(c->accounts.reset_token_ttl_min, 30);
  EXPECT_EQ(c->accounts.login_max_failures, 5);
  EXPECT_EQ(c->accounts.login_window_min, 10);
}

TEST(LoadConfig, ReadsEmailFileWithNestedTables) {
  TempConfigDir dir;
  dir.Write("secrets/smtp", "s3cret\n");
  dir.Write("email.toml", R"(
transport = "smtp"
from = "Files <files@example.com>"
mail_dir = "outgoing"
[smtp]
host = "mail.example.com"
port = 465
security = "tls"
username = "files"
password_file = "secrets/smtp"
timeout_s = 20
[outbox]
max_attempts = 7
initial_backoff_s = 2
max_backoff_s = 60
)");
  auto c = LoadFrom(dir);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->email.transport, "smtp");
  EXPECT_EQ(c->email.from, "Files <files@example.com>");
  EXPECT_EQ(c->email.mail_dir, (std::filesystem::current_path() / "nimbus-data/outgoing").string());
  EXPECT_EQ(c->email.smtp.host, "mail.example.com");
  EXPECT_EQ(c->email.smtp.port, 465);
  EXPECT_EQ(c->email.smtp.security, "tls");
  EXPECT_EQ(c->email.smtp.username, "files");
  EXPECT_EQ(c->email.smtp.password, "s3cret");  // Trailing newline trimmed.
  EXPECT_EQ(c->email.smtp.password_file, (dir.path() / "secrets/smtp").string());
  EXPECT_EQ(c->email.smtp.timeout_s, 20);
  EXPECT_EQ(c->email.outbox.max_attempts, 7);
  EXPECT_EQ(c->email.outbox.initial_backoff_s, 2);
  EXPECT_EQ(c->email.outbox.max_backoff_s, 60);
}

TEST(LoadConfig, ReadsBillingFile) {
  TempConfigDir dir;
  dir.Write("billing.toml", R"(
currency = "EUR"
price_per_gb_month = 25
grace_days = 7
webhook_secret = "whsec"
)");
  auto c = LoadFrom(dir);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->billing.currency, "EUR");
  EXPECT_EQ(c->billing.price_per_gb_month, 25);
  EXPECT_EQ(c->billing.grace_days, 7);
  EXPECT_EQ(c->billing.webhook_secret, "whsec");
}

TEST(LoadConfig, ReadsFilesFileWithByteSizes) {
  TempConfigDir dir;
  dir.Write("files.toml", R"(
trash_retention_days = 0
trash_purge_at = "23:59"
max_upload_bytes = "2GiB"
upload_chunk_bytes = 1048576
io_buffer_bytes = "64 KiB"
tus_expiry_h = 6
)");
  auto c = LoadFrom(dir);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->files.trash_retention_days, 0);
  EXPECT_EQ(c->files.trash_purge_at, "23:59");
  EXPECT_EQ(c->files.max_upload_bytes, uint64_t{2} << 30);
  EXPECT_EQ(c->files.upload_chunk_bytes, uint64_t{1} << 20);
  EXPECT_EQ(c->files.io_buffer_bytes, uint64_t{64} << 10);
  EXPECT_EQ(c->files.tus_expiry_h, 6);
}

TEST(LoadConfig, EnvironmentOverridesFile) {
  TempConfigDir dir;
  dir.Write("server.toml", "header_timeout_s = 7\npublic_url = \"http://file.example\"\n");
  dir.Write("email.toml", "[smtp]\nport = 25\n");
  auto c = LoadFrom(dir, {{"NIMBUS_SERVER_HEADER_TIMEOUT_S", "5"},
                          {"NIMBUS_SERVER_PUBLIC_URL", "https://env.example"},
                          {"NIMBUS_EMAIL_SMTP_PORT", "2525"},
                          {"NIMBUS_EMAIL_TRANSPORT", "smtp"},
                          {"NIMBUS_ACCOUNTS_REQUIRE_EMAIL_VERIFICATION", "true"},
                          {"NIMBUS_DISKS_NEAR_FULL_RATIO", "0.9"},
                          {"NIMBUS_FILES_TRASH_RETENTION_DAYS", "3"},
                          {"NIMBUS_FILES_MAX_UPLOAD_BYTES", "1GiB"},
                          {"NIMBUS_BILLING_WEBHOOK_SECRET", "from-env"},
                          {"NIMBUS_TEST_S3_ENDPOINT", "ignored: not a config file"}});
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->server.header_timeout_s, 5);
  EXPECT_EQ(c->server.public_url, "https://env.example");
  EXPECT_EQ(c->email.smtp.port, 2525);
  EXPECT_EQ(c->email.transport, "smtp");
  EXPECT_TRUE(c->accounts.require_email_verification);
  EXPECT_DOUBLE_EQ(c->disks.near_full_ratio, 0.9);
  EXPECT_EQ(c->files.trash_retention_days, 3);
  EXPECT_EQ(c->files.max_upload_bytes, uint64_t{1} << 30);
  EXPECT_EQ(c->billing.webhook_secret, "from-env");
}

TEST(LoadConfig, EnvironmentSecretBeatsSecretFileFromFile) {
  TempConfigDir dir;
  dir.Write("email.toml", "[smtp]\npassword_file = \"/nonexistent/never-read\"\n");
  auto c = LoadFrom(dir, {{"NIMBUS_EMAIL_SMTP_PASSWORD", "env-pw"}});
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->email.smtp.password, "env-pw");
}

TEST(LoadConfig, EnvironmentSecretFile) {
  TempConfigDir dir;
  auto secret = dir.Write("hook", "abc\r\n");
  auto c = LoadFrom(dir, {{"NIMBUS_BILLING_WEBHOOK_SECRET_FILE", secret.string()}});
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->billing.webhook_secret, "abc");
}

TEST(LoadConfig, FlagsOverrideEnvironmentAndFile) {
  TempConfigDir dir;
  dir.Write("server.toml", "listen = \"127.0.0.1:1000\"\ndata_dir = \"/file\"\n");
  LoadOptions options;
  options.config_dir = dir.path();
  options.env = {{"NIMBUS_SERVER_LISTEN", "127.0.0.1:2000"}, {"NIMBUS_SERVER_DATA_DIR", "/env"}};
  options.listen = "127.0.0.1:0";
  options.data_dir = "/flag";
  auto c = LoadConfig(options);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_EQ(c->server.listen, "127.0.0.1:0");
  EXPECT_EQ(c->server.data_dir, "/flag");
  EXPECT_EQ(c->server.database, "sqlite:/flag/nimbus.db");
  EXPECT_EQ(c->disks.disks[0].uri, "file:/flag/disks/a1");
}

TEST(LoadConfig, EnvironmentFromProcessKeepsOnlyNimbusVariables) {
  ::setenv("NIMBUS_SERVER_IO_THREADS", "3", 1);
  ::setenv("NOT_NIMBUS_X", "1", 1);
  auto env = EnvironmentFromProcess();
  ::unsetenv("NIMBUS_SERVER_IO_THREADS");
  ::unsetenv("NOT_NIMBUS_X");
  EXPECT_EQ(env["NIMBUS_SERVER_IO_THREADS"], "3");
  EXPECT_FALSE(env.contains("NOT_NIMBUS_X"));
  for (const auto& [name, value] : env) EXPECT_TRUE(name.starts_with("NIMBUS_")) << name;
}

}  // namespace
}  // namespace nimbus::config
