// SPDX-License-Identifier: AGPL-3.0-or-later
// Usage warnings (issue 7 "Warnings") against the real `nimbus serve` and the .eml files of its
// file mailer: on the free 1 GB plan a file of 880 MiB (85.9 %) brings one "85% full" mail with
// the plan page's link; 10 MiB more brings none; once the file is deleted and the trash emptied,
// uploading it again brings a new one. Small uploads (their record skips the check when the
// level cannot have moved) still bring the mail when they cross the line, and none below it.
#include <fmt/core.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "integration/files_test_util.h"

namespace nimbus::test {
namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
constexpr const char* kEmail = "ann@example.com";
constexpr const char* kSubject85 = "Your Nimbus storage is 85% full";

class UsageWarningsApiTest : public FilesTest {
 protected:
  // Writes `mib` MiB to a file of the temp dir (1 MiB blocks of a varying pattern, so nothing
  // about it is sparse or all zeros) and returns its path.
  std::string MakeFile(const std::string& name, std::uint64_t mib) {
    const std::string path = tmp().File(name);
    std::ofstream out(path, std::ios::binary);
    std::string block(kMiB, '\0');
    for (std::uint64_t i = 0; i < mib; ++i) {
      for (std::size_t j = 0; j < block.size(); j += 4096) block[j] = static_cast<char>(i + j);
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
    }
    out.close();
    EXPECT_TRUE(out) << "cannot write " << path;
    return path;
  }
  // PUT /api/v1/nodes/root/content?path=<name> with the file's bytes streamed from disk in 1 MiB
  // pieces (never all in memory).
  HttpResponse PutFile(const std::string& name, const std::string& path, std::uint64_t size) {
    auto client = HttpClient::Connect(port());
    EXPECT_TRUE(client) << client.error().message;
    if (!client) return {};
    std::string head = fmt::format(
        "PUT /api/v1/nodes/root/content?path={}&on_conflict=fail HTTP/1.1\r\n"
        "Host: 127.0.0.1:{}\r\nContent-Type: application/octet-stream\r\n"
        "Content-Length: {}\r\nCookie: {}\r\nX-CSRF-Token: {}\r\n\r\n",
        UrlEncode(name), port(), size, me().cookie, me().csrf);
    auto sent = client->SendRaw(head);
    EXPECT_TRUE(sent) << sent.error().message;
    std::ifstream in(path, std::ios::binary);
    std::string block(kMiB, '\0');
    while (sent && in) {
      in.read(block.data(), static_cast<std::streamsize>(block.size()));
      sent = client->SendRaw(std::string_view(block.data(), static_cast<std::size_t>(in.gcount())));
      EXPECT_TRUE(sent) << sent.error().message;
    }
    auto r = client->ReadResponse(std::chrono::seconds(120));
    EXPECT_TRUE(r) << "PUT " << name << ": " << r.error().message;
    return r.value_or(HttpResponse{});
  }
  // Waits (bounded, 20 s; the outbox is polled every second) until `n` mails to ann have
  // `subject`; returns how many there are then.
  std::size_t WaitForMails(const std::string& subject, std::size_t n) {
    std::size_t have = 0;
    for (int i = 0; i < 200 && (have = MailsTo(kEmail, subject)) < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return have;
  }
  // Every usage-warning mail to ann, whatever its threshold.
  std::size_t WarningMails() { return MailsTo(kEmail, "Your Nimbus storage is "); }
};

TEST_F(UsageWarningsApiTest, EightyFivePercentIsMailedOncePerCrossingWithThePlanLink) {
  StartWithUser({}, kEmail);
  ASSERT_EQ(Usage().at("quota_bytes").to_number<std::int64_t>(), std::int64_t{1} << 30);
  const std::string big = MakeFile("big.bin", 880);  // 85.9 % of 1 GB.

  HttpResponse put = PutFile("big.bin", big, 880 * kMiB);
  ASSERT_EQ(put.status, 201) << put.body;
  const std::string big_id = IdOf(put);
  ASSERT_EQ(WaitForMails(kSubject85, 1), 1u);
  EXPECT_EQ(WarningMails(), 1u);
  // The mail says how much of which plan and links the plan page of this server.
  EXPECT_TRUE(AnyMailContains("880 MB of your 1 GB plan (85%)"));
  EXPECT_TRUE(AnyMailContains(fmt::format("http://127.0.0.1:{}/plan", port())));

  // 10 MiB more: 86.9 %, still under 90 %: no second mail (the check runs within a second or
  // two and the outbox is sent every second; 3 s leave both their time).
  HttpResponse small = Put("root", "small.bin", std::string(10 * kMiB, 's'));
  ASSERT_EQ(small.status, 201) << small.body;
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(WarningMails(), 1u);

  // Deleted, it still counts (it is in the trash): no change. Emptying the trash drops usage
  // to 10 MiB, below 85 %: the next crossing is mailed again.
  ASSERT_EQ(Api("DELETE", "/api/v1/nodes/" + big_id).status, 200);
  ASSERT_EQ(Api("DELETE", "/api/v1/trash").status, 204);
  EXPECT_EQ(Usage().at("trash_bytes").to_number<std::int64_t>(), 0);
  put = PutFile("big.bin", big, 880 * kMiB);
  ASSERT_EQ(put.status, 201) << put.body;
  // The mail says the share used now (10 MiB + 880 MiB: 86.9 %), not the threshold.
  EXPECT_EQ(WaitForMails("Your Nimbus storage is 86% full", 1), 1u);
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(WarningMails(), 2u);  // The 85 % line again, nothing else (86.9 % is not 90 %).
}

TEST_F(UsageWarningsApiTest, ASmallUploadThatCrossesTheLineIsMailedAndOneBelowItIsNot) {
  StartWithUser({}, kEmail);
  const std::int64_t quota = Usage().at("quota_bytes").to_number<std::int64_t>();
  const std::int64_t line = quota * 85 / 100;  // 85 % of the plan, rounded down.
  // 30,000 bytes below the line: a file of whole MiB, cut to size.
  const std::string big = MakeFile("big.bin", static_cast<std::uint64_t>(line) / kMiB + 1);
  const auto big_size = static_cast<std::uint64_t>(line - 30000);
  std::filesystem::resize_file(big, big_size);
  HttpResponse put = PutFile("big.bin", big, big_size);
  ASSERT_EQ(put.status, 201) << put.body;
  // 10,000 bytes (a small upload, reserved in the process): still below, no mail.
  ASSERT_EQ(Put("root", "below.bin", std::string(10000, 'b')).status, 201);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  EXPECT_EQ(WarningMails(), 0u);
  // 40,000 bytes more: over the line.
  ASSERT_EQ(Put("root", "over.bin", std::string(40000, 'o')).status, 201);
  EXPECT_EQ(WaitForMails(kSubject85, 1), 1u);
}

}  // namespace
}  // namespace nimbus::test
