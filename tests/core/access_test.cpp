// Unit tests of the access rule (core/files/access.h) on a real SQLite file: owners, share
// grantees (read, edit, several shares on the way, revoked, trashed), link visitors,
// RequireNotShareTop and MarkShared; and what FileService does for a grantee: uploads charged to
// the owner, deletes into the owner's trash, no moves out of the owner's files, the shared node
// itself left to its owner.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/files/access.h"

#include <string>
#include <vector>

#include "core/files/activity_log.h"
#include "db/stores/activity_store.h"
#include "db/stores/share_store.h"
#include "files_fixture.h"

namespace nimbus::core::files {
namespace {

class AccessTest : public FilesTreeTest {
 protected:
  void SetUp() override {
    FilesTreeTest::SetUp();
    carol_ = AddUser(1003, "carol@example.com");
    // alice: /Folder/sub/file, /Folder/other.txt, /Sibling
    folder_ = Folder(alice_, "root", "Folder");
    sub_ = Folder(alice_, folder_.id, "sub");
    file_ = File(alice_, sub_.id, "file", "hello");
    other_ = File(alice_, folder_.id, "other.txt", "other");
    sibling_ = Folder(alice_, "root", "Sibling");
  }

  // Shares `node` of its owner with `grantee` ("read" or "edit"); returns the share id.
  std::string Share(const Node& node, std::int64_t grantee, const std::string& permission) {
    db::ShareRow row;
    row.id = "share-" + std::to_string(++shares_);
    row.node_id = node.id;
    row.owner_id = node.owner_id;
    row.grantee_id = grantee;
    row.permission = permission;
    row.created_at = NowMs();
    auto r = Tx([&](db::Transaction& tx) { return db::ShareStore::Insert(tx, row); });
    EXPECT_TRUE(r) << r.error().message;
    return row.id;
  }

  Result<Node> Auth(const Caller& caller, const std::string& id, Permission need) {
    return db_->Read([&](db::Transaction& tx) { return Authorize(tx, caller, id, need); });
  }

  // Expects Authorize to fail with `code`.
  void ExpectDenied(const Caller& caller, const std::string& id, Permission need, Errc code,
                    const std::string& what) {
    auto r = Auth(caller, id, need);
    ASSERT_FALSE(r) << what << ": allowed with permission " << PermissionName(r->permission);
    EXPECT_EQ(r.error().code, code) << what << ": " << r.error().message;
    EXPECT_FALSE(r.error().message.empty()) << what;
  }

  std::vector<std::string> TrashNames(std::int64_t owner) {
    auto page = Run(files_->ListTrash(owner, 100, ""));
    EXPECT_TRUE(page) << page.error().message;
    std::vector<std::string> names;
    if (page) {
      for (const TrashItem& item : page->items) names.push_back(item.name);
    }
    return names;
  }

  std::int64_t UsedBytes(std::int64_t owner) {
    auto usage = Run(files_->GetUsage(owner));
    EXPECT_TRUE(usage) << usage.error().message;
    return usage ? usage->used_bytes : -1;
  }

  std::int64_t carol_ = 0;
  int shares_ = 0;
  Node folder_, sub_, file_, other_, sibling_;
};

// ---- Authorize ----------------------------------------------------------------------------

TEST_F(AccessTest, OwnerSeesOwnNodeWithFullPathAsOwner) {
  auto n = Auth(alice_, file_.id, Permission::kOwner);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(n->id, file_.id);
  EXPECT_EQ(n->permission, Permission::kOwner);
  EXPECT_EQ(n->path, "/Folder/sub/file");
  EXPECT_EQ(n->owner, nullptr);
  EXPECT_TRUE(n->share_id.empty());
  auto root = Auth(alice_, "root", Permission::kOwner);
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_EQ(root->id, RootOf(alice_));
  EXPECT_EQ(root->path, "/");
}

TEST_F(AccessTest, StrangerGetsNotFoundForEveryNodeOfAnother) {
  for (const std::string& id : {RootOf(alice_), folder_.id, sub_.id, file_.id}) {
    ExpectDenied(bob_, id, Permission::kRead, Errc::kNotFound, id);
  }
  ExpectDenied(bob_, "no-such-node", Permission::kRead, Errc::kNotFound, "unknown id");
  // "root" is the caller's own root.
  auto root = Auth(bob_, "root", Permission::kOwner);
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_EQ(root->id, RootOf(bob_));
}

TEST_F(AccessTest, ReadShareOfAFolderReadsItAndEverythingUnderIt) {
  std::string share = Share(folder_, bob_, "read");
  auto top = Auth(bob_, folder_.id, Permission::kRead);
  ASSERT_TRUE(top) << top.error().message;
  EXPECT_EQ(top->permission, Permission::kRead);
  EXPECT_EQ(top->path, "/Folder");
  EXPECT_EQ(top->share_id, share);
  EXPECT_EQ(top->share_node_id, folder_.id);
  ASSERT_NE(top->owner, nullptr);
  EXPECT_EQ(top->owner->id, alice_);
  EXPECT_EQ(top->owner->email, "alice@example.com");

  auto deep = Auth(bob_, file_.id, Permission::kRead);
  ASSERT_TRUE(deep) << deep.error().message;
  EXPECT_EQ(deep->permission, Permission::kRead);
  EXPECT_EQ(deep->path, "/Folder/sub/file");
  EXPECT_EQ(deep->share_node_id, folder_.id);

  ExpectDenied(bob_, file_.id, Permission::kEdit, Errc::kForbidden, "edit with read share");
  auto denied = Auth(bob_, sub_.id, Permission::kEdit);
  ASSERT_FALSE(denied);
  EXPECT_NE(denied.error().message.find("view only"), std::string::npos) << denied.error().message;
  // What is above or beside the shared folder stays invisible; so is all of it to carol.
  ExpectDenied(bob_, RootOf(alice_), Permission::kRead, Errc::kNotFound, "owner's root");
  ExpectDenied(bob_, sibling_.id, Permission::kRead, Errc::kNotFound, "sibling");
  ExpectDenied(carol_, file_.id, Permission::kRead, Errc::kNotFound, "carol");
}

TEST_F(AccessTest, EditShareAllowsEditButNotWhatOnlyTheOwnerDoes) {
  Share(folder_, bob_, "edit");
  auto n = Auth(bob_, file_.id, Permission::kEdit);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(n->permission, Permission::kEdit);
  auto owner_only = Auth(bob_, folder_.id, Permission::kOwner);
  ASSERT_FALSE(owner_only);
  EXPECT_EQ(owner_only.error().code, Errc::kForbidden);
  EXPECT_NE(owner_only.error().message.find("Only the owner"), std::string::npos);
}

TEST_F(AccessTest, WithTwoSharesOnTheWayTheHighestCountsBelowTheLowerOne) {
  Share(folder_, bob_, "read");
  std::string edit = Share(sub_, bob_, "edit");
  auto below = Auth(bob_, file_.id, Permission::kEdit);
  ASSERT_TRUE(below) << below.error().message;
  EXPECT_EQ(below->permission, Permission::kEdit);
  EXPECT_EQ(below->share_id, edit);
  EXPECT_EQ(below->path, "/Folder/sub/file");  // From the highest shared folder.
  EXPECT_EQ(below->share_node_id, folder_.id);
  auto sub = Auth(bob_, sub_.id, Permission::kEdit);
  ASSERT_TRUE(sub) << sub.error().message;
  EXPECT_EQ(sub->permission, Permission::kEdit);
  auto above = Auth(bob_, folder_.id, Permission::kRead);
  ASSERT_TRUE(above) << above.error().message;
  EXPECT_EQ(above->permission, Permission::kRead);
  ExpectDenied(bob_, folder_.id, Permission::kEdit, Errc::kForbidden, "above the edit share");
  ExpectDenied(bob_, other_.id, Permission::kEdit, Errc::kForbidden, "beside the edit share");
}

TEST_F(AccessTest, EditOnTopAndReadLowerStillGivesEditBelow) {
  Share(folder_, bob_, "edit");
  Share(sub_, bob_, "read");
  auto n = Auth(bob_, file_.id, Permission::kEdit);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(n->permission, Permission::kEdit);
}

TEST_F(AccessTest, ADeletedShareEndsAccessOnTheNextCall) {
  std::string share = Share(folder_, bob_, "edit");
  ASSERT_TRUE(Auth(bob_, file_.id, Permission::kRead));
  auto gone = Tx([&](db::Transaction& tx) { return db::ShareStore::Delete(tx, share); });
  ASSERT_TRUE(gone) << gone.error().message;
  EXPECT_TRUE(*gone);
  ExpectDenied(bob_, folder_.id, Permission::kRead, Errc::kNotFound, "revoked top");
  ExpectDenied(bob_, file_.id, Permission::kRead, Errc::kNotFound, "revoked child");
}

TEST_F(AccessTest, ANodeInTheTrashIsNotFoundForEveryone) {
  Share(folder_, bob_, "edit");
  ASSERT_TRUE(Run(files_->Delete(alice_, sub_.id)));
  for (const std::string& id : {sub_.id, file_.id}) {
    ExpectDenied(alice_, id, Permission::kRead, Errc::kNotFound, "owner, " + id);
    ExpectDenied(bob_, id, Permission::kRead, Errc::kNotFound, "grantee, " + id);
  }
  ASSERT_TRUE(Run(files_->Delete(alice_, folder_.id)));  // The shared node itself.
  ExpectDenied(bob_, folder_.id, Permission::kRead, Errc::kNotFound, "trashed share top");
  ExpectDenied(bob_, other_.id, Permission::kRead, Errc::kNotFound, "under trashed top");
}

TEST_F(AccessTest, RestoringASharedFolderRestoresTheShareAndDeletingForGoodEndsIt) {
  Share(folder_, bob_, "read");
  auto item = Run(files_->Delete(alice_, folder_.id));
  ASSERT_TRUE(item) << item.error().message;
  ExpectDenied(bob_, file_.id, Permission::kRead, Errc::kNotFound, "in the trash");
  ASSERT_TRUE(Run(files_->Restore(alice_, item->id)));
  auto back = Auth(bob_, file_.id, Permission::kRead);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->path, "/Folder/sub/file");

  auto again = Run(files_->Delete(alice_, folder_.id));
  ASSERT_TRUE(again) << again.error().message;
  ASSERT_TRUE(Run(files_->DeleteForever(alice_, again->id)));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM shares"), 0);
  ExpectDenied(bob_, folder_.id, Permission::kRead, Errc::kNotFound, "deleted for good");
}

TEST_F(AccessTest, ALinkReadsItsNodeAndBelowAndNothingElse) {
  Caller link = Caller::ForLink("link-1", folder_.id, "192.0.2.7");
  auto root = Auth(link, "root", Permission::kRead);
  ASSERT_TRUE(root) << root.error().message;
  EXPECT_EQ(root->id, folder_.id);
  EXPECT_EQ(root->permission, Permission::kRead);
  EXPECT_EQ(root->path, "/Folder");
  auto deep = Auth(link, file_.id, Permission::kRead);
  ASSERT_TRUE(deep) << deep.error().message;
  EXPECT_EQ(deep->path, "/Folder/sub/file");
  EXPECT_TRUE(deep->share_id.empty());
  EXPECT_EQ(deep->share_node_id, folder_.id);
  ExpectDenied(link, sibling_.id, Permission::kRead, Errc::kNotFound, "sibling");
  ExpectDenied(link, RootOf(alice_), Permission::kRead, Errc::kNotFound, "owner's root");
  ExpectDenied(link, RootOf(bob_), Permission::kRead, Errc::kNotFound, "another root");
  ExpectDenied(link, file_.id, Permission::kEdit, Errc::kForbidden, "edit through a link");
  // A link to a file shows that file only.
  Caller file_link = Caller::ForLink("link-2", other_.id, "192.0.2.7");
  EXPECT_TRUE(Auth(file_link, other_.id, Permission::kRead));
  ExpectDenied(file_link, file_.id, Permission::kRead, Errc::kNotFound, "beside a file link");
}

TEST_F(AccessTest, RequireEditableParentRefusesTheShareTopAndWhatIsInAReadOnlyFolder) {
  auto check = [&](const Caller& caller, const Node& node) {
    return db_->Read(
        [&](db::Transaction& tx) { return RequireEditableParent(tx, caller, node, "delete"); });
  };
  Share(folder_, bob_, "edit");
  auto top = Auth(bob_, folder_.id, Permission::kEdit);
  ASSERT_TRUE(top) << top.error().message;
  auto refused = check(bob_, *top);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kForbidden);
  EXPECT_NE(refused.error().message.find("'Folder' is shared with you"), std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find("delete"), std::string::npos);
  auto below = Auth(bob_, sub_.id, Permission::kEdit);
  ASSERT_TRUE(below);
  EXPECT_TRUE(check(bob_, *below));
  auto own = Auth(alice_, folder_.id, Permission::kOwner);
  ASSERT_TRUE(own);
  EXPECT_TRUE(check(alice_, *own));
  // Shared to view, with a folder inside shared to edit: that folder cannot leave it.
  Share(sub_, carol_, "edit");
  Share(folder_, carol_, "read");
  auto inner = Auth(carol_, sub_.id, Permission::kEdit);
  ASSERT_TRUE(inner) << inner.error().message;
  auto in_read = check(carol_, *inner);
  ASSERT_FALSE(in_read);
  EXPECT_EQ(in_read.error().code, Errc::kForbidden);
  EXPECT_NE(in_read.error().message.find("'sub' is in 'Folder', which is shared with you to view "
                                         "only"),
            std::string::npos)
      << in_read.error().message;
  auto file = Auth(carol_, file_.id, Permission::kEdit);  // In sub: editable.
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_TRUE(check(carol_, *file));
}

TEST_F(AccessTest, MarkSharedFlagsTheOwnersSharedNodesOnly) {
  Share(folder_, bob_, "read");
  auto one = Auth(alice_, folder_.id, Permission::kOwner);
  ASSERT_TRUE(one);
  ASSERT_TRUE(db_->Read([&](db::Transaction& tx) { return MarkShared(tx, {&*one, 1}); }));
  EXPECT_TRUE(one->shared);
  auto plain = Auth(alice_, sibling_.id, Permission::kOwner);
  ASSERT_TRUE(plain);
  ASSERT_TRUE(db_->Read([&](db::Transaction& tx) { return MarkShared(tx, {&*plain, 1}); }));
  EXPECT_FALSE(plain->shared);
  // A page of the owner's children: the shared folder only.
  auto page = Run(files_->Children(alice_, "root", ListOptions{}));
  ASSERT_TRUE(page) << page.error().message;
  ASSERT_EQ(page->items.size(), 2u);
  for (const Node& n : page->items) {
    EXPECT_EQ(n.shared, n.id == folder_.id) << n.name;
  }
  // The grantee's view is not the owner's: it is not marked.
  auto seen = Auth(bob_, folder_.id, Permission::kRead);
  ASSERT_TRUE(seen);
  ASSERT_TRUE(db_->Read([&](db::Transaction& tx) { return MarkShared(tx, {&*seen, 1}); }));
  EXPECT_FALSE(seen->shared);
}

// ---- FileService for a grantee --------------------------------------------------------------

TEST_F(AccessTest, GranteeUploadIntoASharedFolderCountsAgainstTheOwner) {
  Share(folder_, bob_, "edit");
  const std::int64_t alice_before = UsedBytes(alice_);
  const std::string data(3000, 'b');
  UploadRequest r;
  r.caller = bob_;
  r.parent_id = sub_.id;
  r.path = "from-bob.bin";
  r.declared_size = data.size();
  storage::testing::StringSource src(data, 1000);
  auto up = Run(files_->Upload(r, src));
  ASSERT_TRUE(up) << up.error().message;
  EXPECT_EQ(up->node.owner_id, alice_);
  EXPECT_EQ(up->node.path, "/Folder/sub/from-bob.bin");
  EXPECT_EQ(UsedBytes(alice_), alice_before + 3000);
  EXPECT_EQ(UsedBytes(bob_), 0);
  // With a read share the same upload is refused and nothing is charged.
  Share(sibling_, carol_, "read");
  r.caller = carol_;
  r.parent_id = sibling_.id;
  storage::testing::StringSource again(data, 1000);
  auto refused = Run(files_->Upload(r, again));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kForbidden) << refused.error().message;
  EXPECT_EQ(UsedBytes(alice_), alice_before + 3000);
}

TEST_F(AccessTest, GranteeDeleteLandsInTheOwnersTrash) {
  Share(folder_, bob_, "edit");
  auto item = Run(files_->Delete(bob_, file_.id));
  ASSERT_TRUE(item) << item.error().message;
  EXPECT_EQ(TrashNames(alice_), std::vector<std::string>{"file"});
  EXPECT_TRUE(TrashNames(bob_).empty());
  // The grantee cannot restore it: the trash is the owner's.
  auto restore = Run(files_->Restore(bob_, item->id));
  ASSERT_FALSE(restore);
  EXPECT_EQ(restore.error().code, Errc::kNotFound);
  EXPECT_TRUE(Run(files_->Restore(alice_, item->id)));
}

TEST_F(AccessTest, GranteeCannotMoveASharedChildIntoTheirOwnFiles) {
  Share(folder_, bob_, "edit");
  Node mine = Folder(bob_, "root", "Mine");
  auto moved = Run(files_->Update(bob_, file_.id, std::nullopt, mine.id));
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, Errc::kInvalidMove) << moved.error().message;
  // Neither the other way round: the grantee's own file into the owner's folder.
  Node own = File(bob_, mine.id, "own.txt", "x");
  auto in = Run(files_->Update(bob_, own.id, std::nullopt, sub_.id));
  ASSERT_FALSE(in);
  EXPECT_EQ(in.error().code, Errc::kInvalidMove) << in.error().message;
  // Within the shared tree it works.
  auto within = Run(files_->Update(bob_, file_.id, std::nullopt, folder_.id));
  ASSERT_TRUE(within) << within.error().message;
  EXPECT_EQ(within->path, "/Folder/file");
}

TEST_F(AccessTest, GranteeCannotRenameMoveOrDeleteTheSharedNodeItself) {
  Share(folder_, bob_, "edit");
  auto renamed = Run(files_->Update(bob_, folder_.id, std::string("Mine now"), std::nullopt));
  ASSERT_FALSE(renamed);
  EXPECT_EQ(renamed.error().code, Errc::kForbidden) << renamed.error().message;
  auto moved = Run(files_->Update(bob_, folder_.id, std::nullopt, sibling_.id));
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().code, Errc::kForbidden) << moved.error().message;
  auto deleted = Run(files_->Delete(bob_, folder_.id));
  ASSERT_FALSE(deleted);
  EXPECT_EQ(deleted.error().code, Errc::kForbidden) << deleted.error().message;
  auto still = Auth(alice_, folder_.id, Permission::kOwner);
  ASSERT_TRUE(still) << still.error().message;
  EXPECT_EQ(still->name, "Folder");
  EXPECT_TRUE(TrashNames(alice_).empty());
}

// Activity noted in the same millisecond (a quick grantee) lists in the order it happened,
// however the worker pool runs the writes.
TEST_F(AccessTest, ActivityOfOneMillisecondListsInTheOrderItWasNoted) {
  ActivityLog log(*db_, workers_, clock_);  // clock_ stands still: every row has the same `at`.
  Node node;
  node.id = "n1";
  node.path = "/Folder/file";
  node.share_id = "s1";
  node.permission = Permission::kEdit;
  constexpr int kEvents = 60;
  for (int i = 0; i < kEvents; ++i) log.Note(bob_, node, "upload-" + std::to_string(i));
  log.Flush();
  auto rows =
      db_->Read([](db::Transaction& tx) { return db::ActivityStore::List(tx, "s1", "", 100); });
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_EQ(rows->size(), static_cast<std::size_t>(kEvents));
  for (int i = 0; i < kEvents; ++i) {
    EXPECT_EQ((*rows)[i].action, "upload-" + std::to_string(kEvents - 1 - i)) << i;
  }
}

}  // namespace
}  // namespace nimbus::core::files
