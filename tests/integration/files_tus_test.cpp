// SPDX-License-Identifier: AGPL-3.0-or-later
// Files integration tests, tus part of issue 5: resumable uploads at /api/v1/uploads against the
// real server (creation, HEAD, PATCH in chunks, checksum, termination, quota, a restart).
#include <fmt/core.h>

#include <filesystem>
#include <string>
#include <thread>

#include "integration/files_test_util.h"
#include "util/sha256.h"

namespace nimbus::test {
namespace {

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (unsigned char c : in) {
    acc = (acc << 8) | c;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  while (out.size() % 4 != 0) out += '=';
  return out;
}

std::string Sha256Base64(const std::string& bytes) {
  Sha256 h;
  h.Update(bytes);
  auto d = h.Finish();
  return Base64(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

std::string Sha1Base64(const std::string& bytes) {
  TransferDigest h(TransferDigest::Kind::kSha1);
  h.Update(std::span<const char>(bytes.data(), bytes.size()));
  auto d = h.Finish();
  return Base64(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
}

// Bytes that differ at every position (so a misplaced chunk changes the hash).
std::string Pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + i / 251) & 0xFF);
  return s;
}

class FilesTusTest : public FilesTest {
 protected:
  // One tus request as me(): cookie, CSRF token and Tus-Resumable: 1.0.0 (unless given).
  HttpResponse Tus(const std::string& method, const std::string& target, Headers extra = {},
                   const std::string& body = "") {
    bool has_version = false;
    for (const auto& [k, v] : extra) has_version |= EqualsIgnoreCase(k, "Tus-Resumable");
    if (!has_version) extra.emplace_back("Tus-Resumable", "1.0.0");
    extra.emplace_back("Cookie", me().cookie);
    extra.emplace_back("X-CSRF-Token", me().csrf);
    auto client = HttpClient::Connect(port());
    EXPECT_TRUE(client) << client.error().message;
    if (!client) return {};
    auto r = client->Request(method, target, extra, body, std::chrono::seconds(60));
    EXPECT_TRUE(r) << method << " " << target << ": " << r.error().message;
    return r.value_or(HttpResponse{});
  }
  // POST /api/v1/uploads for `path` in the root; returns the Location ("" on failure).
  HttpResponse Create(std::uint64_t length, const std::string& path,
                      const std::string& on_conflict = "fail", const std::string& more_meta = "") {
    std::string meta = fmt::format("parent_id {},filename {},on_conflict {}{}", Base64("root"),
                                   Base64(path), Base64(on_conflict), more_meta);
    return Tus("POST", "/api/v1/uploads",
               {{"Upload-Length", std::to_string(length)}, {"Upload-Metadata", meta}});
  }
  HttpResponse Patch(const std::string& location, std::uint64_t offset, const std::string& bytes,
                     Headers extra = {}) {
    extra.emplace_back("Content-Type", "application/offset+octet-stream");
    extra.emplace_back("Upload-Offset", std::to_string(offset));
    return Tus("PATCH", location, std::move(extra), bytes);
  }
  // The head of a raw PATCH from offset 0 promising `length` bytes (the tests send fewer).
  std::string PatchHead(const std::string& location, std::uint64_t length) {
    return fmt::format(
        "PATCH {} HTTP/1.1\r\nHost: 127.0.0.1\r\nTus-Resumable: 1.0.0\r\n"
        "Content-Type: application/offset+octet-stream\r\nUpload-Offset: 0\r\n"
        "Content-Length: {}\r\nCookie: {}\r\nX-CSRF-Token: {}\r\n\r\n",
        location, length, me().cookie, me().csrf);
  }
  std::int64_t OffsetOf(const std::string& location) {
    HttpResponse r = Tus("HEAD", location);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.HeaderOr("Cache-Control"), "no-store");
    return std::stoll(r.HeaderOr("Upload-Offset", "-1"));
  }
  // kill -9 of the server while `client` is in the middle of a PATCH of `data`; after a restart
  // the upload is at `offset` (its last recorded progress), and the rest from there makes the
  // file with the right SHA-256.
  void KillThenResume(HttpClient& client, const std::string& location, const std::string& data,
                      std::int64_t offset) {
    ASSERT_TRUE(server().Signal(SIGKILL));
    ASSERT_TRUE(server().WaitForExit(std::chrono::seconds(10)).has_value());
    client.Close();
    ASSERT_TRUE(StartServer({{"NIMBUS_EMAIL_OUTBOX_POLL_INTERVAL_S", "1"}}));
    EXPECT_EQ(OffsetOf(location), offset);
    HttpResponse rest = Patch(location, static_cast<std::uint64_t>(offset),
                              data.substr(static_cast<std::size_t>(offset)));
    ASSERT_EQ(rest.status, 204) << rest.body;
    EXPECT_EQ(NodeSha(rest.HeaderOr("Nimbus-Node-Id")), Sha256::HexOf(data));
  }
  // The node's checksum_sha256 as GET /api/v1/nodes/{id} shows it.
  std::string NodeSha(const std::string& id) {
    auto body = BodyOf(Api("GET", "/api/v1/nodes/" + id));
    auto* sha = body.if_contains("checksum_sha256");
    return sha && sha->is_string() ? std::string(sha->as_string()) : "";
  }
};

TEST_F(FilesTusTest, OptionsAdvertisesTheProtocolWithoutASession) {
  StartWithUser();
  auto r =
      HttpClient::Connect(port())->Request("OPTIONS", "/api/v1/uploads",
                                           {{"Origin", fmt::format("http://127.0.0.1:{}", port())},
                                            {"Host", fmt::format("127.0.0.1:{}", port())},
                                            {"Access-Control-Request-Method", "POST"}});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->HeaderOr("Tus-Version"), "1.0.0");
  EXPECT_EQ(r->HeaderOr("Tus-Resumable"), "1.0.0");
  EXPECT_EQ(r->HeaderOr("Tus-Extension"), "creation,termination,checksum");
  EXPECT_EQ(r->HeaderOr("Tus-Checksum-Algorithm"), "sha1,sha256");
  EXPECT_EQ(r->HeaderOr("Tus-Max-Size"), std::to_string(std::uint64_t{100} << 30));
  EXPECT_EQ(r->HeaderOr("Access-Control-Allow-Origin"), fmt::format("http://127.0.0.1:{}", port()));
  EXPECT_TRUE(ContainsIgnoreCase(r->HeaderOr("Access-Control-Expose-Headers"), "Upload-Offset"));
  EXPECT_TRUE(ContainsIgnoreCase(r->HeaderOr("Access-Control-Allow-Headers"), "Upload-Metadata"));
  // Another origin gets no CORS grant.
  auto other = HttpClient::Connect(port())->Request("OPTIONS", "/api/v1/uploads",
                                                    {{"Origin", "https://evil.example"}});
  ASSERT_TRUE(other);
  EXPECT_FALSE(other->HasHeader("Access-Control-Allow-Origin"));
}

TEST_F(FilesTusTest, ThreeChunksMakeTheFileWithTheRightSha256) {
  StartWithUser();
  const std::string data = Pattern(300'001);
  HttpResponse created = Create(data.size(), "chunks.bin");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.HeaderOr("Tus-Resumable"), "1.0.0");
  const std::string location = created.HeaderOr("Location");
  ASSERT_TRUE(location.starts_with("/api/v1/uploads/")) << location;
  EXPECT_EQ(OffsetOf(location), 0);
  HttpResponse head = Tus("HEAD", location);
  EXPECT_EQ(head.HeaderOr("Upload-Length"), std::to_string(data.size()));

  const std::size_t cut1 = 100'000, cut2 = 200'000;
  HttpResponse p1 = Patch(location, 0, data.substr(0, cut1));
  ASSERT_EQ(p1.status, 204) << p1.body;
  EXPECT_EQ(p1.HeaderOr("Upload-Offset"), std::to_string(cut1));
  HttpResponse p2 =
      Patch(location, cut1, data.substr(cut1, cut2 - cut1),
            {{"Upload-Checksum", "sha256 " + Sha256Base64(data.substr(cut1, cut2 - cut1))}});
  ASSERT_EQ(p2.status, 204) << p2.body;
  EXPECT_EQ(OffsetOf(location), static_cast<std::int64_t>(cut2));
  HttpResponse p3 = Patch(location, cut2, data.substr(cut2));
  ASSERT_EQ(p3.status, 204) << p3.body;
  EXPECT_EQ(p3.HeaderOr("Upload-Offset"), std::to_string(data.size()));
  const std::string node_id = p3.HeaderOr("Nimbus-Node-Id");
  ASSERT_FALSE(node_id.empty());
  EXPECT_EQ(NodeSha(node_id), Sha256::HexOf(data));
  HttpResponse got = Download(node_id);
  EXPECT_EQ(got.status, 200);
  EXPECT_TRUE(got.body == data) << "downloaded " << got.body.size() << " bytes";
  EXPECT_EQ(Usage()["used_bytes"].as_int64(), static_cast<std::int64_t>(data.size()));
}

TEST_F(FilesTusTest, ProtocolErrors) {
  StartWithUser();
  HttpResponse created = Create(10, "errors.bin");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string location = created.HeaderOr("Location");
  ASSERT_EQ(Patch(location, 0, "abcd").status, 204);

  HttpResponse wrong_offset = Patch(location, 2, "zz");
  EXPECT_EQ(wrong_offset.status, 409) << wrong_offset.body;
  EXPECT_EQ(wrong_offset.HeaderOr("Tus-Resumable"), "1.0.0");

  HttpResponse mismatch =
      Patch(location, 4, "efg", {{"Upload-Checksum", "sha256 " + Sha256Base64("EFG")}});
  EXPECT_EQ(mismatch.status, 460) << mismatch.body;
  EXPECT_EQ(mismatch.reason, "Checksum Mismatch");  // Not Beast's "<unknown-status>".
  EXPECT_EQ(ErrorCode(mismatch), "checksum_mismatch");
  EXPECT_EQ(OffsetOf(location), 4);
  // sha1, the algorithm tus requires of every server (QA bigfiles #10).
  HttpResponse sha1_mismatch =
      Patch(location, 4, "efg", {{"Upload-Checksum", "sha1 " + Sha1Base64("EFG")}});
  EXPECT_EQ(sha1_mismatch.status, 460) << sha1_mismatch.body;
  HttpResponse sha1_ok = Patch(location, 4, "e", {{"Upload-Checksum", "sha1 " + Sha1Base64("e")}});
  EXPECT_EQ(sha1_ok.status, 204) << sha1_ok.body;
  EXPECT_EQ(OffsetOf(location), 5);
  HttpResponse md5 = Patch(location, 5, "f", {{"Upload-Checksum", "md5 xxxx"}});
  EXPECT_EQ(md5.status, 400) << md5.body;
  EXPECT_NE(md5.body.find("sha1 and sha256"), std::string::npos) << md5.body;

  HttpResponse no_version = Tus("HEAD", location, {{"Tus-Resumable", "0.2.2"}});
  EXPECT_EQ(no_version.status, 412);
  EXPECT_EQ(no_version.HeaderOr("Tus-Version"), "1.0.0");

  HttpResponse wrong_type =
      Tus("PATCH", location, {{"Content-Type", "text/plain"}, {"Upload-Offset", "4"}}, "efg");
  EXPECT_EQ(wrong_type.status, 415);

  HttpResponse no_length =
      Tus("POST", "/api/v1/uploads", {{"Upload-Metadata", "filename " + Base64("x.bin")}});
  EXPECT_EQ(no_length.status, 400);
  HttpResponse no_name = Tus("POST", "/api/v1/uploads", {{"Upload-Length", "3"}});
  EXPECT_EQ(no_name.status, 400);
  // A partial upload (tus-js-client's parallelUploads) is refused saying so (QA pass 19).
  HttpResponse partial =
      Tus("POST", "/api/v1/uploads", {{"Upload-Length", "3"}, {"Upload-Concat", "partial"}});
  EXPECT_EQ(partial.status, 400);
  EXPECT_NE(partial.body.find("Upload-Concat"), std::string::npos) << partial.body;
  HttpResponse too_big = Create(std::uint64_t{100} << 31, "huge.bin");
  EXPECT_EQ(too_big.status, 413) << too_big.body;
  // An endpoint configured with a trailing slash (as Uppy and tus-js-client setups often are)
  // works the same (QA bigfiles #10: 404 before).
  HttpResponse slash = Tus(
      "POST", "/api/v1/uploads/",
      {{"Upload-Length", "3"},
       {"Upload-Metadata", "parent_id " + Base64("root") + ",filename " + Base64("slash.bin")}});
  EXPECT_EQ(slash.status, 201) << slash.body;
  EXPECT_TRUE(slash.HeaderOr("Location").starts_with("/api/v1/uploads/"))
      << slash.HeaderOr("Location");
  EXPECT_EQ(Tus("OPTIONS", "/api/v1/uploads/", {}).status, 204);

  // Someone else's upload does not exist for them.
  ASSERT_EQ(SignUp("bob@example.com").status, 201);
  Browser bob = LogIn("bob@example.com");
  HttpResponse other = Call("HEAD", location, "", &bob, true, {{"Tus-Resumable", "1.0.0"}});
  EXPECT_EQ(other.status, 404);
  // No CSRF token with the cookie: refused before anything happens.
  HttpResponse no_csrf = Call("DELETE", location, "", &me(), false, {{"Tus-Resumable", "1.0.0"}});
  EXPECT_EQ(no_csrf.status, 403);
  EXPECT_EQ(OffsetOf(location), 5);

  // Once it has every byte, a body goes past the declared length (it was dropped silently);
  // an empty PATCH, a client's retry, learns that the upload is done.
  HttpResponse last = Patch(location, 5, "fghij");
  ASSERT_EQ(last.status, 204) << last.body;
  HttpResponse extra = Patch(location, 10, "k");
  EXPECT_EQ(extra.status, 413) << extra.body;
  EXPECT_EQ(ErrorCode(extra), "too_large");
  HttpResponse retry = Patch(location, 10, "");
  EXPECT_EQ(retry.status, 204) << retry.body;
  EXPECT_EQ(retry.HeaderOr("Nimbus-Node-Id"), last.HeaderOr("Nimbus-Node-Id"));

  // X-HTTP-Method-Override (advertised by the preflight): a POST acts as a PATCH.
  HttpResponse override_created = Create(3, "override.bin");
  ASSERT_EQ(override_created.status, 201) << override_created.body;
  const std::string overriding = override_created.HeaderOr("Location");
  HttpResponse overridden = Tus("POST", overriding,
                                {{"X-HTTP-Method-Override", "PATCH"},
                                 {"Content-Type", "application/offset+octet-stream"},
                                 {"Upload-Offset", "0"}},
                                "xyz");
  EXPECT_EQ(overridden.status, 204) << overridden.body;
  EXPECT_EQ(Download(overridden.HeaderOr("Nimbus-Node-Id")).body, "xyz");
  EXPECT_EQ(Tus("POST", overriding).status, 405);
}

// An upload whose save failed (its name was taken meanwhile, on_conflict=fail): the completing
// PATCH gets the reason (409 name_taken); later a HEAD, which has no body, carries it in a header,
// and a PATCH gets the documented 410 upload_failed (QA pass 15: a 409 conflict).
TEST_F(FilesTusTest, AFailedUploadSaysWhyToHeadAndPatch) {
  StartWithUser();
  HttpResponse created = Create(5, "Résumé.txt");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string location = created.HeaderOr("Location");
  ASSERT_EQ(Put("root", "Résumé.txt", "first").status, 201);
  HttpResponse done = Patch(location, 0, "later");
  EXPECT_EQ(done.status, 409) << done.body;
  EXPECT_EQ(ErrorCode(done), "name_taken");

  HttpResponse head = Tus("HEAD", location);
  EXPECT_EQ(head.status, 410);
  const std::string why = head.HeaderOr("Nimbus-Upload-Error");
  EXPECT_TRUE(why.starts_with("This%20upload%20failed")) << why;
  EXPECT_NE(why.find("R%C3%A9sum%C3%A9.txt"), std::string::npos) << why;
  HttpResponse again = Patch(location, 5, "");
  EXPECT_EQ(again.status, 410) << again.body;
  EXPECT_EQ(ErrorCode(again), "upload_failed");
  EXPECT_NE(again.body.find("Résumé.txt"), std::string::npos) << again.body;
  EXPECT_EQ(Download(IdOf(Api("GET", "/api/v1/resolve?path=/R%C3%A9sum%C3%A9.txt"))).body, "first");
}

// Two uploads of one name at once (two windows, QA bigfiles #1): the second one's name is taken
// while its last bytes are on their way. It is kept with every byte for the client's decision:
// 409 name_taken saying so, HEAD 409 (not a 200 a tus client takes for "finished"), listed as
// name_taken, its space still held; an empty PATCH with Nimbus-On-Conflict: rename finishes it
// as "name (1)" without the bytes being sent again.
TEST_F(FilesTusTest, AnUploadWhoseNameIsTakenAtTheLastBytesIsKeptForTheClientsChoice) {
  StartWithUser();
  const std::string ours = Pattern(2000);
  const std::string theirs(1000, 't');
  HttpResponse a = Create(theirs.size(), "same.bin");
  HttpResponse b = Create(ours.size(), "same.bin");
  ASSERT_EQ(a.status, 201) << a.body;
  ASSERT_EQ(b.status, 201) << b.body;
  const std::string loc_a = a.HeaderOr("Location");
  const std::string loc_b = b.HeaderOr("Location");
  ASSERT_EQ(Patch(loc_b, 0, ours.substr(0, 1500)).status, 204);
  // B's last PATCH starts (its checks pass: the name is free) ...
  auto slow = HttpClient::Connect(port());
  ASSERT_TRUE(slow);
  ASSERT_TRUE(slow->SendRaw(
      fmt::format("PATCH {} HTTP/1.1\r\nHost: x\r\nCookie: {}\r\nX-CSRF-Token: {}\r\n"
                  "Tus-Resumable: 1.0.0\r\nContent-Type: application/offset+octet-stream\r\n"
                  "Upload-Offset: 1500\r\nContent-Length: 500\r\n\r\n{}",
                  loc_b, me().cookie, me().csrf, ours.substr(1500, 100))));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  // ... A is saved meanwhile ...
  HttpResponse saved = Patch(loc_a, 0, theirs);
  ASSERT_EQ(saved.status, 204) << saved.body;
  // ... then B's last bytes arrive.
  ASSERT_TRUE(slow->SendRaw(ours.substr(1600)));
  auto last = slow->ReadResponse();
  ASSERT_TRUE(last) << last.error().message;
  EXPECT_EQ(last->status, 409) << last->body;
  EXPECT_EQ(ErrorCode(*last), "name_taken");
  EXPECT_NE(last->body.find("This upload keeps its bytes"), std::string::npos) << last->body;

  HttpResponse head = Tus("HEAD", loc_b);
  EXPECT_EQ(head.status, 409);
  EXPECT_EQ(head.HeaderOr("Upload-Offset"), "2000");
  EXPECT_NE(head.HeaderOr("Nimbus-Upload-Error").find("keeps%20its%20bytes"), std::string::npos)
      << head.HeaderOr("Nimbus-Upload-Error");
  HttpResponse list = Tus("GET", "/api/v1/uploads");
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_NE(list.body.find(R"("state":"name_taken")"), std::string::npos) << list.body;
  EXPECT_EQ(Usage()["reserved_bytes"].as_int64(), 2000);

  // "Keep both": nothing sent again.
  HttpResponse finish = Patch(loc_b, 2000, "", {{"Nimbus-On-Conflict", "rename"}});
  ASSERT_EQ(finish.status, 204) << finish.body;
  EXPECT_EQ(NodeSha(finish.HeaderOr("Nimbus-Node-Id")), Sha256::HexOf(ours));
  EXPECT_EQ(Download(IdOf(Api("GET", "/api/v1/resolve?path=/same%20(1).bin"))).body, ours);
  EXPECT_EQ(Download(IdOf(Api("GET", "/api/v1/resolve?path=/same.bin"))).body, theirs);
  EXPECT_EQ(Usage()["reserved_bytes"].as_int64(), 0);
  EXPECT_EQ(Usage()["used_bytes"].as_int64(), 3000);
  EXPECT_EQ(Patch(loc_b, 2000, "", {{"Nimbus-On-Conflict", "sideways"}}).status, 400);
}

// The name is taken while the upload is on its way (on_conflict=fail): the next PATCH says so,
// before its bytes, instead of taking every byte and refusing at the last one (QA pass 18: a
// resumed 60 MB upload had to be sent whole, then was thrown away). Its space is free at once.
TEST_F(FilesTusTest, ANameTakenMeanwhileEndsTheUploadAtTheNextPatch) {
  StartWithUser();
  HttpResponse created = Create(10, "clash.bin");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string location = created.HeaderOr("Location");
  ASSERT_EQ(Patch(location, 0, "0123").status, 204);
  ASSERT_EQ(Put("root", "clash.bin", "theirs").status, 201);
  EXPECT_EQ(Usage()["reserved_bytes"].as_int64(), 10);
  HttpResponse next = Patch(location, 4, "456");  // Not the last bytes.
  EXPECT_EQ(next.status, 409) << next.body;
  EXPECT_EQ(ErrorCode(next), "name_taken");
  EXPECT_NE(next.body.find("'clash.bin' already exists"), std::string::npos) << next.body;
  EXPECT_EQ(Usage()["reserved_bytes"].as_int64(), 0);
  EXPECT_EQ(Tus("HEAD", location).status, 410);
  EXPECT_EQ(Download(IdOf(Api("GET", "/api/v1/resolve?path=/clash.bin"))).body, "theirs");
}

// The folder an upload goes into is deleted before its last bytes: the next PATCH fails the
// upload saying so, as a failed upload (410: final for tus clients; a 409 made tus-js-client ask
// the offset again and end with a 404 of its own, QA pass 20), before the rest of the file is
// sent; its reservation is freed, and HEAD says the same.
TEST_F(FilesTusTest, AnUploadWhoseFolderWasDeletedSaysSo) {
  StartWithUser();
  HttpResponse folder = Api("POST", "/api/v1/nodes/root/folders", R"({"path":"Album"})");
  ASSERT_EQ(folder.status, 201) << folder.body;
  const std::string meta =
      fmt::format("parent_id {},filename {}", Base64(IdOf(folder)), Base64("late.bin"));
  HttpResponse created =
      Tus("POST", "/api/v1/uploads", {{"Upload-Length", "10"}, {"Upload-Metadata", meta}});
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string location = created.HeaderOr("Location");
  ASSERT_EQ(Patch(location, 0, "12345").status, 204);
  ASSERT_EQ(Api("DELETE", "/api/v1/nodes/" + IdOf(folder)).status, 200);
  HttpResponse next = Patch(location, 5, "67");  // Not the last bytes.
  EXPECT_EQ(next.status, 410) << next.body;
  EXPECT_EQ(ErrorCode(next), "upload_failed");
  EXPECT_NE(next.body.find("no longer there"), std::string::npos) << next.body;
  EXPECT_EQ(Usage()["reserved_bytes"].as_int64(), 0);
  HttpResponse head = Tus("HEAD", location);
  EXPECT_EQ(head.status, 410);
  EXPECT_NE(head.HeaderOr("Nimbus-Upload-Error").find("no%20longer%20there"), std::string::npos)
      << head.HeaderOr("Nimbus-Upload-Error");
}

TEST_F(FilesTusTest, QuotaIsReservedAtCreationAndTerminationFreesIt) {
  StartWithUser();
  const std::int64_t quota = Usage()["quota_bytes"].as_int64();
  ASSERT_GT(quota, 0);
  HttpResponse over = Create(static_cast<std::uint64_t>(quota) + 1, "over.bin");
  EXPECT_EQ(over.status, 507) << over.body;
  EXPECT_EQ(ErrorCode(over), "quota_exceeded");

  HttpResponse all = Create(static_cast<std::uint64_t>(quota), "all.bin");
  ASSERT_EQ(all.status, 201) << all.body;
  HttpResponse one_more = Create(1, "one.bin");
  EXPECT_EQ(one_more.status, 507) << "the first upload's reservation must count";
  // The message says what holds the space (it said only "your plan is full", with nothing
  // stored): both for a tus creation and for a plain PUT (small, reserved in the process).
  EXPECT_NE(one_more.body.find("is held by uploads not finished yet"), std::string::npos)
      << one_more.body;
  HttpResponse put = Put("root", "small.txt", "x");
  EXPECT_EQ(put.status, 507) << put.body;
  EXPECT_NE(put.body.find("is held by uploads not finished yet"), std::string::npos) << put.body;
  // GET /me shows it, so the free space the web app shows is what the server allows.
  EXPECT_EQ(Usage()["reserved_bytes"].as_int64(), quota);

  HttpResponse terminated = Tus("DELETE", all.HeaderOr("Location"));
  EXPECT_EQ(terminated.status, 204) << terminated.body;
  EXPECT_EQ(Usage()["reserved_bytes"].as_int64(), 0);
  EXPECT_EQ(Tus("HEAD", all.HeaderOr("Location")).status, 404);
  HttpResponse again = Create(1, "one.bin");
  EXPECT_EQ(again.status, 201) << "termination must free the reservation: " << again.body;
}

// GET /api/v1/uploads lists what holds the caller's space: an upload started elsewhere (another
// browser, abandoned) can be found and cancelled from anywhere (QA pass 14, web finding 1).
TEST_F(FilesTusTest, UnfinishedUploadsAreListedWithWhereTheyLandAndCanBeCancelled) {
  StartWithUser();
  ASSERT_EQ(Api("POST", "/api/v1/nodes/root/folders", R"({"path":"Photos/2026"})").status, 201);
  HttpResponse up = Create(5000, "Photos/2026/big.bin");
  ASSERT_EQ(up.status, 201) << up.body;
  const std::string location = up.HeaderOr("Location");
  ASSERT_EQ(Patch(location, 0, std::string(1200, 'x')).status, 204);
  HttpResponse done = Create(3, "small.txt");
  ASSERT_EQ(done.status, 201);
  ASSERT_EQ(Patch(done.HeaderOr("Location"), 0, "abc").status, 204);  // Finished: not listed.

  // tus: metadata keys are unique; one given twice is a client's bug, refused (QA pass 17a).
  HttpResponse twice =
      Create(10, "twice.txt", "fail", "," + std::string("filename ") + Base64("b"));
  EXPECT_EQ(twice.status, 400) << twice.body;
  EXPECT_NE(twice.body.find("the key filename is given twice"), std::string::npos) << twice.body;

  HttpResponse list = Api("GET", "/api/v1/uploads");
  ASSERT_EQ(list.status, 200) << list.body;
  const boost::json::object listed = BodyOf(list);
  const auto& items = listed.at("uploads").as_array();
  ASSERT_EQ(items.size(), 1u) << list.body;
  const auto& u = items[0].as_object();
  EXPECT_EQ("/api/v1/uploads/" + std::string(u.at("id").as_string()), location);
  EXPECT_EQ(u.at("name"), "big.bin");
  EXPECT_EQ(u.at("path"), "Photos/2026/big.bin");
  EXPECT_EQ(u.at("folder_path"), "/");
  // The root's real id, as everywhere else, not the "root" the client sent (QA pass 17a).
  HttpResponse root = Api("GET", "/api/v1/nodes/root");
  ASSERT_EQ(root.status, 200) << root.body;
  EXPECT_EQ(u.at("parent_id"), BodyOf(root).at("id")) << list.body;
  EXPECT_NE(u.at("parent_id"), "root");
  EXPECT_EQ(u.at("size").as_int64(), 5000);
  EXPECT_EQ(u.at("offset").as_int64(), 1200);
  EXPECT_EQ(u.at("state"), "receiving");
  EXPECT_TRUE(u.contains("expires_at"));
  // The access log names the client's address and the user (QA pass 14, finding 16).
  std::string log = server().Stderr();
  for (int i = 0; i < 50 && log.find("http GET /api/v1/uploads 200") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // Written once the body is sent.
    log = server().Stderr();
  }
  const auto line_at = log.find("http GET /api/v1/uploads 200");
  ASSERT_NE(line_at, std::string::npos) << log;
  const std::string line = log.substr(line_at, log.find('\n', line_at) - line_at);
  EXPECT_NE(line.find(" ip=127.0.0.1 user="), std::string::npos) << line;
  EXPECT_EQ(Usage()["reserved_bytes"].as_int64(), 5000);

  // Another user sees none of it, and cannot cancel it.
  ASSERT_NO_FATAL_FAILURE(SignUpConfirmed("bob@example.com"));
  Browser bob = LogIn("bob@example.com");
  HttpResponse bobs = Call("GET", "/api/v1/uploads", "", &bob);
  EXPECT_EQ(BodyOf(bobs).at("uploads").as_array().size(), 0u) << bobs.body;
  HttpResponse steal = Call("DELETE", location, "", &bob, true, {{"Tus-Resumable", "1.0.0"}});
  EXPECT_EQ(steal.status, 404) << steal.body;

  EXPECT_EQ(Tus("DELETE", location).status, 204);
  EXPECT_EQ(BodyOf(Api("GET", "/api/v1/uploads")).at("uploads").as_array().size(), 0u);
  EXPECT_EQ(Usage()["reserved_bytes"].as_int64(), 0);
}

// A colleague's upload into a folder shared with edit holds the owner's space: the owner sees it
// (with who sends it) and may discard it; revoking the share frees it at once (QA pass 18: an
// abandoned 1000 MB upload held the owner's space for a day, listed nowhere).
TEST_F(FilesTusTest, AColleaguesUnfinishedUploadIsTheOwnersToSeeAndDiscardAndARevokeFreesIt) {
  StartWithUser();  // ann
  ASSERT_NO_FATAL_FAILURE(SignUpConfirmed("bob@example.com"));
  Browser bob = LogIn("bob@example.com");
  HttpResponse folder = Api("POST", "/api/v1/nodes/root/folders", R"({"path":"Team"})");
  ASSERT_EQ(folder.status, 201) << folder.body;
  const std::string team = IdOf(folder);
  HttpResponse shared =
      Api("POST", "/api/v1/shares",
          R"({"node_id":")" + team + R"(","email":"bob@example.com","permission":"edit"})");
  ASSERT_EQ(shared.status, 201) << shared.body;
  const std::string share = std::string(BodyOf(shared).at("id").as_string());
  auto bob_starts = [&](const std::string& name) {
    Headers h{
        {"Tus-Resumable", "1.0.0"},
        {"Upload-Length", "7000"},
        {"Upload-Metadata", fmt::format("parent_id {},filename {}", Base64(team), Base64(name))}};
    HttpResponse r = Call("POST", "/api/v1/uploads", "", &bob, true, h);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.HeaderOr("Location");
  };
  const std::string first = bob_starts("scan.pdf");
  EXPECT_EQ(Usage()["reserved_bytes"].as_int64(), 7000);  // ann's space holds it.

  HttpResponse list = Api("GET", "/api/v1/uploads");
  ASSERT_EQ(list.status, 200) << list.body;
  const boost::json::object listed = BodyOf(list);
  const auto& items = listed.at("uploads").as_array();
  ASSERT_EQ(items.size(), 1u) << list.body;
  EXPECT_EQ("/api/v1/uploads/" + std::string(items[0].at("id").as_string()), first);
  EXPECT_EQ(items[0].at("folder_path"), "/Team") << list.body;
  EXPECT_EQ(items[0].at("sender").at("email"), "bob@example.com") << list.body;
  // bob's own list has it, without a sender (it is his).
  const boost::json::object bobs = BodyOf(Call("GET", "/api/v1/uploads", "", &bob));
  ASSERT_EQ(bobs.at("uploads").as_array().size(), 1u);
  EXPECT_FALSE(bobs.at("uploads").as_array()[0].as_object().contains("sender"));

  // ann discards it: her space is free, and bob hears it is gone.
  EXPECT_EQ(Tus("DELETE", first).status, 204);
  EXPECT_EQ(Usage()["reserved_bytes"].as_int64(), 0);
  EXPECT_EQ(Call("HEAD", first, "", &bob, true, {{"Tus-Resumable", "1.0.0"}}).status, 404);

  // A revoke frees what bob still sends into the folder; his own uploads are his.
  const std::string second = bob_starts("notes.txt");
  Headers own{{"Tus-Resumable", "1.0.0"},
              {"Upload-Length", "300"},
              {"Upload-Metadata", "filename " + Base64("mine.txt")}};
  HttpResponse mine = Call("POST", "/api/v1/uploads", "", &bob, true, own);
  ASSERT_EQ(mine.status, 201) << mine.body;
  EXPECT_EQ(Usage()["reserved_bytes"].as_int64(), 7000);
  ASSERT_EQ(Api("DELETE", "/api/v1/shares/" + share).status, 204);
  EXPECT_EQ(Usage()["reserved_bytes"].as_int64(), 0);
  EXPECT_TRUE(BodyOf(Api("GET", "/api/v1/uploads")).at("uploads").as_array().empty());
  EXPECT_EQ(Call("HEAD", second, "", &bob, true, {{"Tus-Resumable", "1.0.0"}}).status, 404);
  EXPECT_EQ(
      Call("HEAD", mine.HeaderOr("Location"), "", &bob, true, {{"Tus-Resumable", "1.0.0"}}).status,
      200);
}

TEST_F(FilesTusTest, ACutConnectionKeepsTheBytesThatArrived) {
  StartWithUser();
  const std::string data = Pattern(200'000);
  HttpResponse created = Create(data.size(), "cut.bin");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string location = created.HeaderOr("Location");
  {  // A PATCH that promises every byte but sends 80,000 and then the connection drops.
    auto client = HttpClient::Connect(port());
    ASSERT_TRUE(client) << client.error().message;
    ASSERT_TRUE(client->SendRaw(PatchHead(location, data.size()) + data.substr(0, 80'000)));
    client->Close();
  }
  // The server notices the drop, syncs what arrived and records it (bounded wait).
  std::int64_t offset = -1;
  for (int i = 0; i < 100 && offset != 80'000; ++i) {
    offset = OffsetOf(location);
    if (offset != 80'000) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(offset, 80'000);
  HttpResponse rest = Patch(location, 80'000, data.substr(80'000));
  ASSERT_EQ(rest.status, 204) << rest.body;
  EXPECT_EQ(NodeSha(rest.HeaderOr("Nimbus-Node-Id")), Sha256::HexOf(data));
}

// The file's own time (Upload-Metadata modified_at, as X-Modified-At of a PUT) is kept across a
// restart and becomes the node's modified_at: a big video keeps its date.
TEST_F(FilesTusTest, UploadSurvivesARestartAndResumesFromTheDurableOffset) {
  StartWithUser();
  const std::string data = Pattern(250'000);
  HttpResponse created = Create(data.size(), "restart.bin", "fail",
                                ",modified_at " + Base64("2018-05-01T12:00:00+02:00"));
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string location = created.HeaderOr("Location");
  ASSERT_EQ(Patch(location, 0, data.substr(0, 120'000)).status, 204);

  server().Terminate();
  ASSERT_TRUE(StartServer({{"NIMBUS_EMAIL_OUTBOX_POLL_INTERVAL_S", "1"}}));
  EXPECT_EQ(OffsetOf(location), 120'000);
  HttpResponse rest = Patch(location, 120'000, data.substr(120'000));
  ASSERT_EQ(rest.status, 204) << rest.body;
  const std::string node_id = rest.HeaderOr("Nimbus-Node-Id");
  ASSERT_FALSE(node_id.empty());
  EXPECT_EQ(NodeSha(node_id), Sha256::HexOf(data));
  EXPECT_EQ(BodyOf(Api("GET", "/api/v1/nodes/" + node_id)).at("modified_at"),
            "2018-05-01T10:00:00.000Z");
  for (const char* bad : {"tomorrow", "2999-01-01T00:00:00Z"}) {
    HttpResponse refused = Create(10, "late.bin", "fail", ",modified_at " + Base64(bad));
    EXPECT_EQ(refused.status, 400) << bad;
    EXPECT_NE(refused.body.find("modified_at must be a time in RFC 3339"), std::string::npos)
        << refused.body;
  }
}

// kill -9 in the middle of one long PATCH (tus-js-client sends a whole file in one by default):
// the restarted server resumes from the progress the PATCH recorded on the way (every 64 MiB),
// not from where the PATCH began (QA pass 14, finding 7: 471 MB were lost).
TEST_F(FilesTusTest, AServerKilledDuringALongPatchResumesFromItsLastCheckpoint) {
  StartWithUser();
  const std::string data = Pattern(100u << 20);
  HttpResponse created = Create(data.size(), "long.bin");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string location = created.HeaderOr("Location");
  auto client = HttpClient::Connect(port());
  ASSERT_TRUE(client) << client.error().message;
  // The rest never comes.
  ASSERT_TRUE(client->SendRaw(PatchHead(location, data.size()) + data.substr(0, 80u << 20)));
  std::int64_t offset = 0;
  for (int i = 0; i < 200 && offset < (64 << 20); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    offset = OffsetOf(location);
  }
  ASSERT_EQ(offset, 64 << 20) << "the PATCH recorded no progress on its way";
  KillThenResume(*client, location, data, offset);
}

// The same over a slow link: a PATCH whose bytes trickle in records its progress every few
// seconds too, not only every 64 MiB (QA pass 15: 10 MB sent over a slow link were lost).
TEST_F(FilesTusTest, ASlowPatchRecordsItsProgressEveryFewSeconds) {
  StartWithUser();
  const std::string data = Pattern(12u << 20);
  HttpResponse created = Create(data.size(), "slow.bin");
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string location = created.HeaderOr("Location");
  auto client = HttpClient::Connect(port());
  ASSERT_TRUE(client) << client.error().message;
  ASSERT_TRUE(client->SendRaw(PatchHead(location, data.size()) + data.substr(0, 4u << 20)));
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  ASSERT_TRUE(client->SendRaw(data.substr(4u << 20, 2u << 20)));  // Then the link stalls.
  std::int64_t offset = 0;
  for (int i = 0; i < 100 && offset < (4 << 20); ++i) {  // Bounded: 5 s.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    offset = OffsetOf(location);
  }
  ASSERT_GE(offset, 4 << 20) << "the slow PATCH recorded no progress";
  ASSERT_LE(offset, 6 << 20);
  KillThenResume(*client, location, data, offset);
}

TEST_F(FilesTusTest, CleanupJobRemovesIdleUploadsWithTheirBytesAndReservations) {
  StartWithUser();
  const std::int64_t quota = Usage()["quota_bytes"].as_int64();
  HttpResponse idle = Create(static_cast<std::uint64_t>(quota) - 10, "idle.bin");
  ASSERT_EQ(idle.status, 201) << idle.body;
  const std::string location = idle.HeaderOr("Location");
  ASSERT_EQ(Patch(location, 0, "some bytes").status, 204);
  HttpResponse fresh = Create(5, "fresh.bin");
  ASSERT_EQ(fresh.status, 201) << fresh.body;
  const std::string id = location.substr(location.rfind('/') + 1);
  const std::string staged = data_dir() + "/uploads/" + id;
  ASSERT_TRUE(std::filesystem::exists(staged));

  // Nothing has been idle for tus_expiry_h yet: the job keeps both.
  auto keep = RunNimbus({"job", "run", "tus-cleanup", "--data", data_dir()});
  ASSERT_TRUE(keep) << keep.error().message;
  EXPECT_EQ(keep->exit_code(), 0) << keep->out << keep->err;
  EXPECT_NE(keep->out.find("0 expired upload(s) removed"), std::string::npos) << keep->out;
  EXPECT_EQ(OffsetOf(location), 10);

  // The first upload last changed 25 hours ago (set in the database itself).
  auto aged = RunToCompletion(
      {.args = {"-c",
                "import sqlite3, sys, time; db = sqlite3.connect(sys.argv[1]); "
                "db.execute('UPDATE tus_uploads SET updated_at = ? WHERE id = ?', "
                "(int(time.time() * 1000) - 25 * 3600 * 1000, sys.argv[2])); db.commit()",
                data_dir() + "/nimbus.db", id},
       .env = {},
       .cwd = {},
       .log_dir = {},
       .binary = "/usr/bin/python3"});
  ASSERT_TRUE(aged) << aged.error().message;
  ASSERT_EQ(aged->exit_code(), 0) << aged->err;
  auto clean = RunNimbus({"job", "run", "tus-cleanup", "--data", data_dir()});
  ASSERT_TRUE(clean) << clean.error().message;
  EXPECT_EQ(clean->exit_code(), 0) << clean->out << clean->err;
  EXPECT_NE(clean->out.find("1 expired upload(s) removed"), std::string::npos) << clean->out;
  EXPECT_EQ(Tus("HEAD", location).status, 404);
  EXPECT_FALSE(std::filesystem::exists(staged));
  EXPECT_EQ(OffsetOf(fresh.HeaderOr("Location")), 0);
  // Its reservation is gone too: the quota it held is free again.
  EXPECT_EQ(Create(static_cast<std::uint64_t>(quota) - 10, "again.bin").status, 201);
}

}  // namespace
}  // namespace nimbus::test
