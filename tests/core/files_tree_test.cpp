// Unit tests of the file tree: names (NFC, the rules of api.md), the tx-level helpers of
// tree_tx.h, and FileService's tree, trash and usage over a real SQLite file and MemoryVolumes.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <gmock/gmock.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/files/names.h"
#include "db/stores/node_store.h"
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
  // The right-to-left mark (U+200F) only sets the direction of neutral characters: allowed.
  for (std::string name : {"my file.txt", "100% done", "#1", "..hidden", "a..b", ".env", "x.",
                           " padded ", "\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D\xE2\x80\x8F.txt"}) {
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
      {"", "empty"},
      {".", "cannot be used"},
      {"..", "cannot be used"},
      {"a/b", "'/'"},
      {std::string("a\0b", 3), "control"},
      {"tab\there", "control characters (such as a line break or tab); this one has U+0009"},
      // Right-to-left override: "report<RLO>fdp.exe" reads "reportexe.pdf" (QA pass 16).
      {"report\xE2\x80\xAE"
       "fdp.exe",
       "text-direction character U+202E"},
      {"x\xE2\x81\xA6y", "U+2066"},
      {"del\x7F", "control"},
      {"c1\xC2\x85", "control"},
      // The Unicode line and paragraph separators are line breaks too (QA pass 17a).
      {"ls\xE2\x80\xA8", "U+2028"},
      {"ps\xE2\x80\xA9", "U+2029"},
      {"bad\xFF", "UTF-8"},
      {"\xC0\xAF", "UTF-8"},
      {std::string(256, 'x'), "255 bytes"},
      {" ", "only spaces"},
      {"   ", "only spaces"},
      {"\xE3\x80\x80", "only spaces"},  // U+3000, the ideographic space.
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

// A message shows a refused name so that a person sees what to rename.
TEST(NamesTest, VisibleNameShowsControlAndDirectionCharacters) {
  EXPECT_EQ(VisibleName("bell\x07"
                        "char.txt"),
            "bell\xE2\x90\x87"
            "char.txt");  // ␇
  EXPECT_EQ(VisibleName("tab\there"),
            "tab\xE2\x90\x89"
            "here");  // ␉
  EXPECT_EQ(VisibleName("report\xE2\x80\xAE"
                        "fdp.exe"),
            "report<U+202E>fdp.exe");
  EXPECT_EQ(VisibleName("c1\xC2\x85"), "c1<U+0085>");
  EXPECT_EQ(VisibleName("bad\xFF\xFE.txt"), "bad<0xFF><0xFE>.txt");
  EXPECT_EQ(VisibleName("cut\xE2\x82"), "cut<0xE2><0x82>");
  EXPECT_EQ(VisibleName("R\xC3\xA9sum\xC3\xA9 \xF0\x9F\x93\x84"),
            "R\xC3\xA9sum\xC3\xA9 \xF0\x9F\x93\x84");
}

TEST(NamesTest, SortNameFoldsCase) {
  EXPECT_EQ(SortName("Banana"), "banana");
  EXPECT_EQ(SortName("STRASSE"), SortName("stra\xC3\x9F"
                                          "e"));  // ß folds to ss.
  EXPECT_LT(SortName("apple"), SortName("Banana"));
}

TEST(NamesTest, SortNamePutsNumbersInNaturalOrder) {
  // The order a person expects (Dropbox, Finder, Nextcloud), not the bytes' order.
  std::vector<std::string> names = {"f10.txt",   "F2.txt",   "f1.txt", "f100.txt",
                                    "f.txt",     "f02b.txt", "f9.txt", "IMG_0010.jpg",
                                    "img_9.jpg", "10",       "9",      "a"};
  std::sort(names.begin(), names.end(),
            [](const std::string& a, const std::string& b) { return SortName(a) < SortName(b); });
  EXPECT_EQ(names, (std::vector<std::string>{"9", "10", "a", "f.txt", "f1.txt", "F2.txt",
                                             "f02b.txt", "f9.txt", "f10.txt", "f100.txt",
                                             "img_9.jpg", "IMG_0010.jpg"}));
  EXPECT_EQ(SortName("f10"), "f0210");
  EXPECT_EQ(SortName("v0.0"), "v010.010") << "a zero stays one digit";
  EXPECT_EQ(SortName("\xE6\x97\xA5\xE6\x9C\xAC 2"), "\xE6\x97\xA5\xE6\x9C\xAC 012")
      << "UTF-8 around digits is kept";
  // Without accents: "café 2" lists with "cafe 10", and "Résumé" with "resume".
  EXPECT_EQ(SortName("caf\xC3\xA9 2"), "cafe 012");
  EXPECT_EQ(SortName("R\xC3\xA9sum\xC3\xA9.pdf"), "resume.pdf");
  EXPECT_EQ(FoldCase("\xC3\x89LAN Stra\xC3\x9F"
                     "e"),
            "elan strasse");  // ß folds to ss.
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
  auto free_name = [&](const std::string& name, FreeNameStyle style,
                       NodeType type = NodeType::kFile) {
    auto n = Tx([&](db::Transaction& tx) { return FreeName(tx, root, name, type, style); });
    EXPECT_TRUE(n) << n.error().message;
    return n.value_or("");
  };
  EXPECT_EQ(free_name("a.txt", FreeNameStyle::kNumbered), "a.txt");
  File(alice_, "root", "a.txt", "1");
  EXPECT_EQ(free_name("a.txt", FreeNameStyle::kNumbered), "a (1).txt");
  File(alice_, "root", "a (1).txt", "2");
  EXPECT_EQ(free_name("a.txt", FreeNameStyle::kNumbered), "a (2).txt");
  Folder(alice_, "root", ".config");
  EXPECT_EQ(free_name(".config", FreeNameStyle::kNumbered, NodeType::kFolder), ".config (1)");
  Folder(alice_, "root", "Photos");
  EXPECT_EQ(free_name("Photos", FreeNameStyle::kRestored, NodeType::kFolder), "Photos (restored)");
  Folder(alice_, "root", "Photos (restored)");
  EXPECT_EQ(free_name("Photos", FreeNameStyle::kRestored, NodeType::kFolder),
            "Photos (restored 2)");
  // A file keeps its extension (it still opens with its type); a folder's dot is no extension.
  File(alice_, "root", "pic.png", "4");
  EXPECT_EQ(free_name("pic.png", FreeNameStyle::kRestored), "pic (restored).png");
  // A compressed tarball keeps both extensions together; ".tar" alone is an extension.
  File(alice_, "root", "site.tar.gz", "5");
  EXPECT_EQ(free_name("site.tar.gz", FreeNameStyle::kNumbered), "site (1).tar.gz");
  File(alice_, "root", "Backup.TAR.XZ", "6");
  EXPECT_EQ(free_name("Backup.TAR.XZ", FreeNameStyle::kRestored), "Backup (restored).TAR.XZ");
  File(alice_, "root", "plain.tar", "7");
  EXPECT_EQ(free_name("plain.tar", FreeNameStyle::kNumbered), "plain (1).tar");
  File(alice_, "root", ".tar.gz", "8");
  EXPECT_EQ(free_name(".tar.gz", FreeNameStyle::kNumbered), ".tar (1).gz");
  Folder(alice_, "root", "v1.2");
  EXPECT_EQ(free_name("v1.2", FreeNameStyle::kNumbered, NodeType::kFolder), "v1.2 (1)");
  EXPECT_EQ(free_name("v1.2", FreeNameStyle::kRestored, NodeType::kFolder), "v1.2 (restored)");
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
  auto missing =
      Tx([&](db::Transaction& tx) { return SetFileContent(tx, "nope", 1, "b", "s", NowMs()); });
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

// ---- FileService: tree --------------------------------------------------------------------

std::vector<std::string> Names(const ChildPage& page) {
  std::vector<std::string> out;
  for (const Node& n : page.items) out.push_back(n.name);
  return out;
}

TEST_F(FilesTreeTest, ChildrenListFoldersFirstInEachOrderAndPageWithACursor) {
  Node box = Folder(alice_, "root", "box");
  Folder(alice_, box.id, "zeta");
  Folder(alice_, box.id, "Alpha");
  File(alice_, box.id, "b.txt", "12345");
  File(alice_, box.id, "A.txt", "1");
  clock_.Advance(std::chrono::seconds(1));
  File(alice_, box.id, "c.txt", "123");

  auto by_name = Run(files_->Children(alice_, box.id, ListOptions{}));
  ASSERT_TRUE(by_name) << by_name.error().message;
  EXPECT_THAT(Names(*by_name), ElementsAre("Alpha", "zeta", "A.txt", "b.txt", "c.txt"));
  EXPECT_FALSE(by_name->next_cursor);
  EXPECT_EQ(by_name->items[2].path, "/box/A.txt");

  auto desc = Run(files_->Children(alice_, box.id, ListOptions{SortKey::kName, true, 200, ""}));
  ASSERT_TRUE(desc);
  EXPECT_THAT(Names(*desc), ElementsAre("zeta", "Alpha", "c.txt", "b.txt", "A.txt"));
  auto by_size = Run(files_->Children(alice_, box.id, ListOptions{SortKey::kSize, true, 200, ""}));
  ASSERT_TRUE(by_size);
  std::vector<std::string> sized = Names(*by_size);  // Folders (size 0) tie: their order is by id.
  EXPECT_THAT(std::vector<std::string>(sized.begin() + 2, sized.end()),
              ElementsAre("b.txt", "c.txt", "A.txt"));
  auto by_time =
      Run(files_->Children(alice_, box.id, ListOptions{SortKey::kModified, true, 200, ""}));
  ASSERT_TRUE(by_time);
  EXPECT_EQ(by_time->items[2].name, "c.txt");

  // Files of the same size or time are listed by name, in pages too (a cursor inside the tie).
  Node ties = Folder(alice_, "root", "ties");
  for (const char* name : {"zed.txt", "Mid.txt", "alpha.txt", "file 10.txt", "file 9.txt"}) {
    File(alice_, ties.id, name, "same");
  }
  for (SortKey key : {SortKey::kSize, SortKey::kModified}) {
    for (bool descending : {false, true}) {
      std::vector<std::string> walked;
      ListOptions tie{key, descending, 2, ""};
      for (int page = 0; page < 10; ++page) {
        auto p = Run(files_->Children(alice_, ties.id, tie));
        ASSERT_TRUE(p) << p.error().message;
        for (const Node& n : p->items) walked.push_back(n.name);
        if (!p->next_cursor) break;
        tie.cursor = *p->next_cursor;
      }
      std::vector<std::string> want{"alpha.txt", "file 9.txt", "file 10.txt", "Mid.txt", "zed.txt"};
      if (descending) std::reverse(want.begin(), want.end());
      EXPECT_EQ(walked, want) << (key == SortKey::kSize ? "size" : "modified") << descending;
    }
  }

  // Pages of 2 walk the same order, across the folder/file boundary.
  std::vector<std::string> seen;
  ListOptions o{SortKey::kName, false, 2, ""};
  for (int page = 0; page < 10; ++page) {
    auto p = Run(files_->Children(alice_, box.id, o));
    ASSERT_TRUE(p) << p.error().message;
    for (const Node& n : p->items) seen.push_back(n.name);
    if (!p->next_cursor) break;
    o.cursor = *p->next_cursor;
  }
  EXPECT_THAT(seen, ElementsAre("Alpha", "zeta", "A.txt", "b.txt", "c.txt"));

  auto bad = Run(files_->Children(alice_, box.id, ListOptions{SortKey::kName, false, 2, "%%"}));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
  auto other_sort = Run(files_->Children(
      alice_, box.id,
      ListOptions{SortKey::kSize, false, 2,
                  *Run(files_->Children(alice_, box.id, ListOptions{SortKey::kName, false, 1, ""}))
                       ->next_cursor}));
  ASSERT_FALSE(other_sort);
  EXPECT_EQ(other_sort.error().code, Errc::kInvalidArgument);
  Node f = File(alice_, "root", "plain.txt", "x");
  auto of_file = Run(files_->Children(alice_, f.id, ListOptions{}));
  ASSERT_FALSE(of_file);
  EXPECT_EQ(of_file.error().code, Errc::kInvalidArgument);
  auto of_other = Run(files_->Children(bob_, box.id, ListOptions{}));
  ASSERT_FALSE(of_other);
  EXPECT_EQ(of_other.error().code, Errc::kNotFound);
}

TEST_F(FilesTreeTest, AFolderOf100000ItemsListsAPageFromAnIndexInMilliseconds) {
  Node big = Folder(alice_, "root", "big");
  auto filled = Tx([&](db::Transaction& tx) {
    return tx.Exec(
        "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100000) "
        "INSERT INTO nodes (id, owner_id, parent_id, name, sort_name, type, size, version, "
        "created_at, modified_at) "
        "SELECT 'n' || i, 1001, ?, 'file ' || printf('%06d', i), 'file ' || printf('%06d', i), "
        "CASE WHEN i % 100 = 0 THEN 'folder' ELSE 'file' END, (i * 7919) % 100003, 1, i, i "
        "FROM c",
        {big.id});
  });
  ASSERT_TRUE(filled) << filled.error().message;
  ASSERT_TRUE(db_->ExecMaintenance("ANALYZE"));

  for (db::NodeOrder order :
       {db::NodeOrder::kSortName, db::NodeOrder::kModifiedAt, db::NodeOrder::kSize}) {
    for (bool desc : {false, true}) {
      for (bool after : {false, true}) {
        std::string sql =
            "EXPLAIN QUERY PLAN " + db::NodeStore::ListChildrenSql(order, desc, after);
        auto plan = db_->Read([&](db::Transaction& tx) -> Result<std::string> {
          std::vector<db::Value> params{big.id, "file"};
          if (after) {
            if (order != db::NodeOrder::kSortName) params.emplace_back(50000);
            params.emplace_back("file 050000");
            params.emplace_back("n50000");
          }
          params.emplace_back(200);
          auto rows = tx.Query(sql, params);
          if (!rows) return std::unexpected(rows.error());
          std::string text;
          for (const auto& r : *rows) text += r.Text("detail") + "\n";
          return text;
        });
        ASSERT_TRUE(plan) << plan.error().message;
        EXPECT_NE(plan->find("USING INDEX nodes_by_"), std::string::npos) << sql << "\n" << *plan;
        EXPECT_EQ(plan->find("TEMP B-TREE"), std::string::npos) << sql << "\n" << *plan;
      }
    }
  }

  ListOptions o{SortKey::kName, false, 200, ""};
  auto first = Run(files_->Children(alice_, big.id, o));
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->items.size(), 200u);
  EXPECT_TRUE(first->items[0].is_folder());
  // Jump into the middle of the files and time pages in every order.
  for (SortKey key : {SortKey::kName, SortKey::kModified, SortKey::kSize}) {
    ListOptions page{key, key == SortKey::kSize, 200, ""};
    for (int i = 0; i < 3; ++i) {  // Folders (1,000) then files.
      auto p = Run(files_->Children(alice_, big.id, page));
      ASSERT_TRUE(p && p->next_cursor);
      page.cursor = *p->next_cursor;
    }
    // The median of 5 timed pages (a shared 2-core machine has noisy single samples).
    std::vector<std::int64_t> us;
    for (int i = 0; i < 5; ++i) {
      auto start = std::chrono::steady_clock::now();
      auto p = Run(files_->Children(alice_, big.id, page));
      us.push_back(std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::steady_clock::now() - start)
                       .count());
      ASSERT_TRUE(p) << p.error().message;
      EXPECT_EQ(p->items.size(), 200u);
    }
    std::sort(us.begin(), us.end());
    EXPECT_LT(us[2], 50'000) << "a page of 200 of 100,000 took " << us[2] << " us (median)";
  }
}

TEST_F(FilesTreeTest, ResolveWalksNamesFromTheRootInNfc) {
  Node d = Folder(alice_, "root", "caf\xC3\xA9/d");
  auto found = Run(files_->Resolve(alice_, "/cafe\xCC\x81/d"));
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->id, d.id);
  auto root = Run(files_->Resolve(alice_, "/"));
  ASSERT_TRUE(root);
  EXPECT_TRUE(root->is_root());
  for (std::string missing : {"/nope", "/caf\xC3\xA9/d/x", "/a/../b"}) {
    auto r = Run(files_->Resolve(alice_, missing));
    ASSERT_FALSE(r) << missing;
    EXPECT_EQ(r.error().code, Errc::kNotFound);
  }
  EXPECT_FALSE(Run(files_->Resolve(bob_, "/caf\xC3\xA9/d")));
}

TEST_F(FilesTreeTest, MakeFoldersCreatesParentsAndRefusesAnExistingLastFolder) {
  auto c = Run(files_->MakeFolders(alice_, "root", "a/b/c"));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->path, "/a/b/c");
  auto again = Run(files_->MakeFolders(alice_, "root", "a/b/c"));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::kNameTaken);
  auto d = Run(files_->MakeFolders(alice_, "root", "a/b/d"));
  ASSERT_TRUE(d);
  auto bad = Run(files_->MakeFolders(alice_, "root", "a/../x"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidName);
  auto in_other = Run(files_->MakeFolders(bob_, c->id, "x"));
  ASSERT_FALSE(in_other);
  EXPECT_EQ(in_other.error().code, Errc::kNotFound);
}

TEST_F(FilesTreeTest, UpdateRenamesAndMovesButNeverIntoItself) {
  Node a = Folder(alice_, "root", "a");
  Node b = Folder(alice_, a.id, "b");
  Node other = Folder(alice_, "root", "other");
  Node f = File(alice_, a.id, "f.txt", "x");

  auto renamed = Run(files_->Update(alice_, f.id, std::string("g.txt"), std::nullopt));
  ASSERT_TRUE(renamed) << renamed.error().message;
  EXPECT_EQ(renamed->path, "/a/g.txt");
  EXPECT_EQ(renamed->version, 2);
  auto moved = Run(files_->Update(alice_, a.id, std::nullopt, other.id));
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_EQ(moved->path, "/other/a");
  auto deep = Run(files_->Get(alice_, b.id));
  ASSERT_TRUE(deep);
  EXPECT_EQ(deep->path, "/other/a/b");

  for (const std::string& target : {a.id, b.id}) {
    auto into_self = Run(files_->Update(alice_, a.id, std::nullopt, target));
    ASSERT_FALSE(into_self);
    EXPECT_EQ(into_self.error().code, Errc::kInvalidMove);
  }
  auto root = Run(files_->Update(alice_, "root", std::string("x"), std::nullopt));
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error().code, Errc::kInvalidMove);
  Folder(alice_, other.id, "taken");
  auto clash = Run(files_->Update(alice_, a.id, std::string("taken"), std::nullopt));
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, Errc::kNameTaken);
  auto bad = Run(files_->Update(alice_, a.id, std::string("x/y"), std::nullopt));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::kInvalidName);
  auto case_only = Run(files_->Update(alice_, a.id, std::string("A"), std::nullopt));
  ASSERT_TRUE(case_only) << case_only.error().message;
  auto into_file = Run(files_->Update(alice_, b.id, std::nullopt, f.id));
  ASSERT_FALSE(into_file);
  EXPECT_EQ(into_file.error().code, Errc::kInvalidMove);
  auto by_bob = Run(files_->Update(bob_, a.id, std::string("mine"), std::nullopt));
  ASSERT_FALSE(by_bob);
  EXPECT_EQ(by_bob.error().code, Errc::kNotFound);
}

// ---- FileService: trash and usage ---------------------------------------------------------

TEST_F(FilesTreeTest, DeleteMovesTheSubtreeToTheTrashAsOneItem) {
  Node docs = Folder(alice_, "root", "docs");
  Node inner = Folder(alice_, docs.id, "inner");
  Node f1 = File(alice_, docs.id, "one.txt", std::string(1000, 'a'));
  File(alice_, inner.id, "two.txt", std::string(234, 'b'));
  File(alice_, "root", "keep.txt", std::string(10, 'c'));

  auto item = Run(files_->Delete(alice_, docs.id));
  ASSERT_TRUE(item) << item.error().message;
  EXPECT_EQ(item->size, 1234);
  EXPECT_EQ(item->original_path, "/docs");
  EXPECT_EQ(item->name, "docs");
  EXPECT_EQ(item->expires_at - item->deleted_at, 30LL * 24 * 3600 * 1000);
  EXPECT_EQ(usage_changes_[alice_], 1);
  for (const std::string& id : {docs.id, inner.id, f1.id}) {
    auto gone = Run(files_->Get(alice_, id));
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code, Errc::kNotFound);
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM trash_items"), 1);
  auto usage = Run(files_->GetUsage(alice_));
  ASSERT_TRUE(usage) << usage.error().message;
  EXPECT_EQ(usage->used_bytes, 10);
  EXPECT_EQ(usage->trash_bytes, 1234);
  auto root = Run(files_->Delete(alice_, "root"));
  ASSERT_FALSE(root);
  EXPECT_EQ(root.error().code, Errc::kInvalidMove);
  EXPECT_FALSE(Run(files_->Delete(bob_, f1.id)));
}

TEST_F(FilesTreeTest, ListTrashIsNewestFirstPagedAndFilteredByParent) {
  Node a = Folder(alice_, "root", "a");
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    Node n = Folder(alice_, i < 3 ? a.id : RootOf(alice_), "n" + std::to_string(i));
    clock_.Advance(std::chrono::seconds(1));
    auto item = Run(files_->Delete(alice_, n.id));
    ASSERT_TRUE(item);
    ids.push_back(item->id);
  }
  std::vector<std::string> seen;
  std::string cursor;
  for (int page = 0; page < 10; ++page) {
    auto p = Run(files_->ListTrash(alice_, 2, cursor));
    ASSERT_TRUE(p) << p.error().message;
    for (const auto& t : p->items) seen.push_back(t.id);
    if (!p->next_cursor) break;
    cursor = *p->next_cursor;
  }
  EXPECT_THAT(seen, ElementsAre(ids[4], ids[3], ids[2], ids[1], ids[0]));
  auto from_a = Run(files_->ListTrash(alice_, 100, "", a.id));
  ASSERT_TRUE(from_a);
  EXPECT_EQ(from_a->items.size(), 3u);
  auto from_root = Run(files_->ListTrash(alice_, 100, "", "root"));
  ASSERT_TRUE(from_root);
  EXPECT_EQ(from_root->items.size(), 2u);
  auto bobs = Run(files_->ListTrash(bob_, 100, ""));
  ASSERT_TRUE(bobs);
  EXPECT_TRUE(bobs->items.empty());
}

TEST_F(FilesTreeTest, RestorePutsBackRecreatesParentsAndRenamesOnAClash) {
  Node a = Folder(alice_, "root", "a/b");
  Node f = File(alice_, a.id, "f.txt", "hello");
  auto item = Run(files_->Delete(alice_, f.id));
  ASSERT_TRUE(item);
  auto back = Run(files_->Restore(alice_, item->id));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->restored_path, "/a/b/f.txt");
  EXPECT_EQ(back->node.id, f.id);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM trash_items"), 0);

  // The parent went to the trash after the file: it is recreated from the original path.
  auto file_item = Run(files_->Delete(alice_, f.id));
  auto parent_item = Run(files_->Delete(alice_, a.id));
  ASSERT_TRUE(file_item && parent_item);
  auto recreated = Run(files_->Restore(alice_, file_item->id));
  ASSERT_TRUE(recreated) << recreated.error().message;
  EXPECT_EQ(recreated->restored_path, "/a/b/f.txt");
  EXPECT_NE(recreated->node.parent_id, a.id);

  // A clash: the name is taken again, twice.
  auto again = Run(files_->Delete(alice_, f.id));
  ASSERT_TRUE(again);
  File(alice_, recreated->node.parent_id, "f.txt", "new");
  auto renamed = Run(files_->Restore(alice_, again->id));
  ASSERT_TRUE(renamed) << renamed.error().message;
  EXPECT_EQ(renamed->restored_path, "/a/b/f (restored).txt") << "the extension stays last";
  auto old_parent = Run(files_->Restore(alice_, parent_item->id));  // /a/b exists again.
  ASSERT_TRUE(old_parent) << old_parent.error().message;
  EXPECT_EQ(old_parent->restored_path, "/a/b (restored)");

  // A file is where a folder of the original path was: the folder comes back beside it, and a
  // second item of that path goes into the same recreated folder.
  Node q = Folder(alice_, "root", "Q");
  Node one = File(alice_, q.id, "one.txt", "1");
  Node two = File(alice_, q.id, "two.txt", "2");
  auto one_item = Run(files_->Delete(alice_, one.id));
  auto two_item = Run(files_->Delete(alice_, two.id));
  auto q_item = Run(files_->Delete(alice_, q.id));
  ASSERT_TRUE(one_item && two_item && q_item);
  ASSERT_TRUE(Run(files_->DeleteForever(alice_, q_item->id)));
  File(alice_, "root", "Q", "a file now");
  auto beside = Run(files_->Restore(alice_, one_item->id));
  ASSERT_TRUE(beside) << beside.error().message;
  EXPECT_EQ(beside->restored_path, "/Q (restored)/one.txt");
  auto same = Run(files_->Restore(alice_, two_item->id));
  ASSERT_TRUE(same) << same.error().message;
  EXPECT_EQ(same->restored_path, "/Q (restored)/two.txt");
  EXPECT_EQ(same->node.parent_id, beside->node.parent_id);

  auto missing = Run(files_->Restore(alice_, "nope"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
}

// A database listed with the old key (case folding only) is re-keyed once, at the next start,
// as migration 0013 asks: then "f2" lists before "f10".
TEST_F(FilesTreeTest, RekeySortNamesPutsOldRowsInNaturalOrderOnce) {
  auto first = files_->RekeySortNames();  // The migration's own request (new rows are right).
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sort_name_rekey"), 0);
  Node box = Folder(alice_, "root", "n");
  for (const char* name : {"f10.txt", "f2.txt", "f1.txt"}) File(alice_, box.id, name, "x");
  // As the binary before 0013 wrote them, and the request 0013 leaves.
  auto old = db_->Write([](db::Transaction& tx) -> Result<void> {
    if (auto r = tx.Exec("UPDATE nodes SET sort_name = lower(name)"); !r) return r;
    return tx.Exec("INSERT INTO sort_name_rekey (pending) VALUES (1)");
  });
  ASSERT_TRUE(old) << old.error().message;
  auto before = Run(files_->Children(alice_, box.id, ListOptions{}));
  ASSERT_TRUE(before);
  EXPECT_THAT(Names(*before), ElementsAre("f1.txt", "f10.txt", "f2.txt"));

  auto rekeyed = files_->RekeySortNames();
  ASSERT_TRUE(rekeyed) << rekeyed.error().message;
  EXPECT_EQ(*rekeyed, 3);
  auto after = Run(files_->Children(alice_, box.id, ListOptions{}));
  ASSERT_TRUE(after);
  EXPECT_THAT(Names(*after), ElementsAre("f1.txt", "f2.txt", "f10.txt"));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM sort_name_rekey"), 0);
  auto again = files_->RekeySortNames();
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, 0) << "asked once, done once";
}

TEST_F(FilesTreeTest, DeleteForeverAndEmptyTrashFreeTheBytesOnBothDisks) {
  Node f = File(alice_, "root", "big.bin", std::string(5000, 'x'));
  Node g = File(alice_, "root", "g.bin", std::string(3000, 'y'));
  Node h = File(alice_, "root", "h.bin", std::string(700, 'z'));
  EXPECT_EQ(DiskBytes("a1"), 8700u);
  EXPECT_EQ(DiskBytes("a1m"), 8700u);
  auto item = Run(files_->Delete(alice_, f.id));
  ASSERT_TRUE(item);
  EXPECT_EQ(DiskBytes("a1"), 8700u);  // The trash still holds the bytes.
  auto bob_tries = Run(files_->DeleteForever(bob_, item->id));
  ASSERT_FALSE(bob_tries);
  EXPECT_EQ(bob_tries.error().code, Errc::kNotFound);
  ASSERT_TRUE(Run(files_->DeleteForever(alice_, item->id)));
  EXPECT_EQ(DiskBytes("a1"), 3700u);
  EXPECT_EQ(DiskBytes("a1m"), 3700u);
  EXPECT_EQ(Count("SELECT used_bytes FROM allocations WHERE owner_id = 1001"), 3700);
  ASSERT_TRUE(Run(files_->Delete(alice_, g.id)));
  ASSERT_TRUE(Run(files_->Delete(alice_, h.id)));
  ASSERT_TRUE(Run(files_->EmptyTrash(alice_)));
  EXPECT_EQ(DiskBytes("a1"), 0u);
  EXPECT_EQ(DiskBytes("a1m"), 0u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM nodes WHERE owner_id = 1001"), 1);  // The root.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM trash_items"), 0);
  auto usage = Run(files_->GetUsage(alice_));
  ASSERT_TRUE(usage);
  EXPECT_EQ(usage->used_bytes + usage->trash_bytes, 0);
}

TEST_F(FilesTreeTest, PurgeDeletesOnlyItemsOlderThanTheRetention) {
  Node old_file = File(alice_, "root", "old.txt", std::string(100, 'o'));
  Node bobs = File(bob_, "root", "bob.txt", std::string(50, 'b'));
  ASSERT_TRUE(Run(files_->Delete(alice_, old_file.id)));
  ASSERT_TRUE(Run(files_->Delete(bob_, bobs.id)));
  clock_.Advance(std::chrono::hours(24 * 29));
  Node young = File(alice_, "root", "young.txt", std::string(10, 'y'));
  ASSERT_TRUE(Run(files_->Delete(alice_, young.id)));
  auto none = Run(files_->PurgeExpiredTrash());
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(*none, 0);
  clock_.Advance(std::chrono::hours(24) + std::chrono::seconds(1));
  auto two = Run(files_->PurgeExpiredTrash());
  ASSERT_TRUE(two);
  EXPECT_EQ(*two, 2);
  EXPECT_EQ(DiskBytes("a1"), 10u);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM trash_items"), 1);
  config_.trash_retention_days = 0;
  auto rest = Run(files_->PurgeExpiredTrash());
  ASSERT_TRUE(rest);
  EXPECT_EQ(*rest, 1);
  EXPECT_EQ(DiskBytes("a1"), 0u);
  EXPECT_GE(usage_changes_[bob_], 2);
}

TEST_F(FilesTreeTest, UsageBreaksDownByTopLevelFolderAndListsTheLargestFiles) {
  Node photos = Folder(alice_, "root", "Photos/2024");
  Node docs = Folder(alice_, "root", "Docs");
  File(alice_, photos.id, "p.jpg", std::string(3000, 'p'));
  File(alice_, docs.id, "d.txt", std::string(200, 'd'));
  File(alice_, "root", "top.txt", std::string(40, 't'));
  Node trashed = File(alice_, docs.id, "gone.txt", std::string(7, 'g'));
  ASSERT_TRUE(Run(files_->Delete(alice_, trashed.id)));
  auto u = Run(files_->GetUsage(alice_));
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->quota_bytes, static_cast<std::int64_t>(kG));
  EXPECT_EQ(u->used_bytes, 3240);
  EXPECT_EQ(u->trash_bytes, 7);
  EXPECT_EQ(u->reserved_bytes, 0);
  EXPECT_EQ(u->root_files_bytes, 40);
  ASSERT_EQ(u->by_folder.size(), 2u);
  EXPECT_EQ(u->by_folder[0].name, "Photos");
  EXPECT_EQ(u->by_folder[0].bytes, 3000);
  EXPECT_EQ(u->by_folder[1].name, "Docs");
  EXPECT_EQ(u->by_folder[1].bytes, 200);
  ASSERT_EQ(u->largest_files.size(), 3u);
  EXPECT_EQ(u->largest_files[0].path, "/Photos/2024/p.jpg");
}

}  // namespace
}  // namespace nimbus::core::files
