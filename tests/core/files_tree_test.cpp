// Unit tests of the file tree: names (NFC, the rules of api.md), the tx-level helpers of
// tree_tx.h, and FileService's tree, trash and usage over a real SQLite file and MemoryVolumes.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gmock/gmock.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/files/names.h"
#include "files_fixture.h"

namespace nimbus::core::files {
namespace {

using ::testing::ElementsAre;

// ---- names --------------------------------------------------------------------------------

TEST(NamesTest, NfcAndNfdOfTheSameNameAreEqual) {
  auto nfc = NormalizeName("caf\xC3\xA9");   // é as one code point.
  auto nfd = NormalizeName("cafe\xCC\x81");  // e + combining acute.
  ASSERT_TRUE(nfc && nfd);
  EXPECT_EQ(*nfc, *nfd);
  EXPECT_EQ(*nfd, "caf\xC3\xA9");
}

TEST(NamesTest, AcceptsSpacesPercentHashAndDotsInside) {
  for (std::string name : {"my file.txt", "100% done", "#1", "..hidden", "a..b", ".env", "x."}) {
    auto n = NormalizeName(name);
    ASSERT_TRUE(n) << name << ": " << n.error().message;
    EXPECT_EQ(*n, name);
  }
}

TEST(NamesTest, RejectsWhatApiMdForbidsWithASentence) {
  struct Case {
    std::string name;
    std::string says;
  };
  std::vector<Case> cases = {
      {"", "empty"},         {".", "cannot be used"},     {"..", "cannot be used"},
      {"a/b", "'/'"},        {std::string("a\0b", 3), "control"}, {"tab\there", "control"},
      {"del\x7F", "control"}, {"c1\xC2\x85", "control"},   {"bad\xFF", "UTF-8"},
      {"\xC0\xAF", "UTF-8"},  {std::string(256, 'x'), "255 bytes"},
  };
  for (const Case& c : cases) {
    auto n = NormalizeName(c.name);
    ASSERT_FALSE(n) << "accepted: " << c.name;
    EXPECT_EQ(n.error().code, Errc::kInvalidName);
    EXPECT_NE(n.error().message.find(c.says), std::string::npos) << n.error().message;
  }
  EXPECT_TRUE(NormalizeName(std::string(255, 'x')));
  // 128 × "é" decomposed is 384 bytes; NFC makes it 256 bytes: still too long.
  std::string nfd;
  for (int i = 0; i < 128; ++i) nfd += "e\xCC\x81";
  EXPECT_FALSE(NormalizeName(nfd));
}

TEST(NamesTest, SortNameFoldsCase) {
  EXPECT_EQ(SortName("Banana"), "banana");
  EXPECT_EQ(SortName("STRASSE"), SortName("stra\xC3\x9F" "e"));  // ß folds to ss.
  EXPECT_LT(SortName("apple"), SortName("Banana"));
}

TEST(NamesTest, SplitRelativePathIgnoresExtraSlashesAndRejectsDotDot) {
  auto parts = SplitRelativePath("/a//b c/");
  ASSERT_TRUE(parts) << parts.error().message;
  EXPECT_THAT(*parts, ElementsAre("a", "b c"));
  auto dotdot = SplitRelativePath("a/../b");
  ASSERT_FALSE(dotdot);
  EXPECT_EQ(dotdot.error().code, Errc::kInvalidName);
  EXPECT_NE(dotdot.error().message.find(".."), std::string::npos);
  EXPECT_FALSE(SplitRelativePath(""));
  EXPECT_FALSE(SplitRelativePath("//"));
  EXPECT_FALSE(SplitRelativePath("a/b\x01"));
}

// ---- tree_tx ------------------------------------------------------------------------------

TEST_F(FilesTreeTest, LoadLiveFillsThePathAndHidesOtherOwners) {
  Node c = Folder(alice_, "root", "a/b/c");
  EXPECT_EQ(c.path, "/a/b/c");
  auto loaded = Tx([&](db::Transaction& tx) { return LoadLive(tx, alice_, c.id); });
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_EQ(loaded->path, "/a/b/c");
  EXPECT_EQ(loaded->name, "c");
  auto root = Tx([&](db::Transaction& tx) { return LoadLive(tx, alice_, "root"); });
  ASSERT_TRUE(root);
  EXPECT_EQ(root->id, RootOf(alice_));
  EXPECT_EQ(root->path, "/");
  EXPECT_TRUE(root->is_root());
  auto other = Tx([&](db::Transaction& tx) { return LoadLive(tx, bob_, c.id); });
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code, Errc::kNotFound);
}

TEST_F(FilesTreeTest, EnsureFoldersReusesExistingFoldersAndRefusesAFileInTheWay) {
  Node b1 = Folder(alice_, "root", "a/b");
  Node b2 = Folder(alice_, "root", "a/b");
  EXPECT_EQ(b1.id, b2.id);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM nodes WHERE owner_id = 1001"), 3);  // root, a, b
  File(alice_, b1.id, "f", "x");
  auto blocked = Tx([&](db::Transaction& tx) -> Result<Node> {
    auto root = LoadLive(tx, alice_, "root");
    std::vector<std::string> names{"a", "b", "f", "g"};
    return EnsureFolders(tx, *root, names, NowMs());
  });
  ASSERT_FALSE(blocked);
  EXPECT_EQ(blocked.error().code, Errc::kNameTaken);
}

TEST_F(FilesTreeTest, InsertNodeRefusesATakenName) {
  File(alice_, "root", "x.txt", "1");
  auto again = Tx([&](db::Transaction& tx) -> Result<Node> {
    Node n;
    n.owner_id = alice_;
    n.parent_id = RootOf(alice_);
    n.name = "x.txt";
    n.type = NodeType::kFolder;
    return InsertNode(tx, n);
  });
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kNameTaken);
}

TEST_F(FilesTreeTest, FreeNameKeepsTheExtensionAndCountsRestoredCopies) {
  std::string root = RootOf(alice_);
  auto free_name = [&](const std::string& name, FreeNameStyle style) {
    auto n = Tx([&](db::Transaction& tx) { return FreeName(tx, root, name, style); });
    EXPECT_TRUE(n) << n.error().message;
    return n.value_or("");
  };
  EXPECT_EQ(free_name("a.txt", FreeNameStyle::kNumbered), "a.txt");
  File(alice_, "root", "a.txt", "1");
  EXPECT_EQ(free_name("a.txt", FreeNameStyle::kNumbered), "a (1).txt");
  File(alice_, "root", "a (1).txt", "2");
  EXPECT_EQ(free_name("a.txt", FreeNameStyle::kNumbered), "a (2).txt");
  Folder(alice_, "root", ".config");
  EXPECT_EQ(free_name(".config", FreeNameStyle::kNumbered), ".config (1)");
  Folder(alice_, "root", "Photos");
  EXPECT_EQ(free_name("Photos", FreeNameStyle::kRestored), "Photos (restored)");
  Folder(alice_, "root", "Photos (restored)");
  EXPECT_EQ(free_name("Photos", FreeNameStyle::kRestored), "Photos (restored 2)");
  std::string long_name(250, 'x');
  long_name += ".txt";
  File(alice_, "root", long_name, "3");
  std::string variant = free_name(long_name, FreeNameStyle::kNumbered);
  EXPECT_EQ(variant.size(), 255u);
  EXPECT_TRUE(variant.ends_with(" (1).txt")) << variant;
}

TEST_F(FilesTreeTest, SetFileContentBumpsTheVersion) {
  Node f = File(alice_, "root", "f.bin", "abc");
  auto set = Tx([&](db::Transaction& tx) {
    return SetFileContent(tx, f.id, 5, "blob-2", std::string(64, 'a'), NowMs() + 1);
  });
  ASSERT_TRUE(set) << set.error().message;
  auto loaded = Tx([&](db::Transaction& tx) { return LoadLive(tx, alice_, f.id); });
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->size, 5);
  EXPECT_EQ(loaded->blob_id, "blob-2");
  EXPECT_EQ(loaded->version, 2);
  auto missing = Tx([&](db::Transaction& tx) {
    return SetFileContent(tx, "nope", 1, "b", "s", NowMs());
  });
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
}

TEST_F(FilesTreeTest, SubtreeListsParentsBeforeChildrenWithPaths) {
  Node a = Folder(alice_, "root", "a");
  Node c = Folder(alice_, a.id, "b/c");
  File(alice_, c.id, "deep.txt", "d");
  File(alice_, a.id, "top.txt", "t");
  auto sub = Tx([&](db::Transaction& tx) { return Subtree(tx, a.id); });
  ASSERT_TRUE(sub) << sub.error().message;
  std::vector<std::string> paths;
  for (const Node& n : *sub) paths.push_back(n.path);
  ASSERT_EQ(paths.size(), 5u);
  EXPECT_EQ(paths[0], "/a");
  EXPECT_EQ(paths.back(), "/a/b/c/deep.txt");
  EXPECT_NE(std::find(paths.begin(), paths.end(), "/a/top.txt"), paths.end());
}

}  // namespace
}  // namespace nimbus::core::files
