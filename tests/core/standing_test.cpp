// Unit tests of the past-due read-only rule (issue 7) on FileService and TusService: with the
// owner's billing account past due (its billing_accounts row and an open invoice written here, as
// the billing job would), uploads (declared, small, chunked), copies, restores, new folders and
// tus creation and appends answer kPaymentRequired with the sentence a person reads, and nothing
// is written (no node, no reservation, no tus upload); reading, listing, downloading, renaming,
// deleting, emptying the trash and sharing keep working; a grantee uploading into the folder of a
// past-due owner is told whose account it is; paying (MarkPaidIn) lifts it at once.
// SPDX-License-Identifier: AGPL-3.0-or-later
#include <string>

#include "config/billing.h"
#include "core/billing/ledger.h"
#include "core/billing/standing_check.h"
#include "core/files/share_service.h"
#include "core/files/tus_service.h"
#include "db/stores/billing_store.h"
#include "db/stores/share_store.h"
#include "files_fixture.h"

namespace nimbus::core::files {
namespace {

using storage::testing::StringSink;
using storage::testing::StringSource;

constexpr std::int64_t kSince = 1796256000000;  // 3 Dec 2026 00:00 UTC.

const std::string kAlicePastDue =
    "Your account is past due: 12.34 USD has been unpaid since 3 Dec 2026, so uploads, copies "
    "and restores are paused until it is paid. Your files stay safe and you can still open, "
    "download, share and delete them. The invoices page says how to pay.";

class StandingTest : public FilesTreeTest {
 protected:
  void SetUp() override {
    FilesTreeTest::SetUp();
    clock_.Set(Clock::TimePoint(std::chrono::seconds(1796904000)));  // 10 Dec 2026.
    tus_ = std::make_unique<TusService>(*files_, dir_.File("uploads"));
  }
  void TearDown() override {
    tus_.reset();
    FilesTreeTest::TearDown();
  }

  // Puts `user` past due since kSince with an open invoice of `cents` USD, as the billing job
  // leaves it.
  void PastDue(std::int64_t user, std::int64_t cents = 1234) {
    auto r = Tx([&](db::Transaction& tx) -> Result<void> {
      db::BillingAccountRow a;
      a.user_id = user;
      a.plan_gb = 10;
      a.currency = "USD";
      a.anchor_at = kSince - 20 * 86'400'000LL;
      a.period_start = a.anchor_at;
      a.period_end = kSince + 10 * 86'400'000LL;
      a.state = "past_due";
      a.past_due_since = kSince;
      a.created_at = *a.anchor_at;
      a.updated_at = kSince;
      if (auto put = db::BillingStore::PutAccount(tx, a); !put) return put;
      auto seq = db::BillingStore::NextInvoiceSeq(tx);
      if (!seq) return std::unexpected(seq.error());
      db::InvoiceRow i;
      i.id = "inv-" + std::to_string(user);
      invoice_ = i.id;
      i.user_id = user;
      i.seq = *seq;
      i.number = "INV-" + std::to_string(*seq);
      i.currency = "USD";
      i.subtotal = cents;
      i.total = cents;
      i.period_start = *a.period_start;
      i.period_end = *a.period_end;
      i.issued_at = *a.anchor_at;
      i.due_at = *a.anchor_at;
      i.lines.push_back({"10 GB", 10, i.period_start, i.period_end, cents});
      return db::BillingStore::InsertInvoice(tx, i);
    });
    ASSERT_TRUE(r) << r.error().message;
  }

  // Pays the open invoice as `nimbus admin invoice mark-paid` does: the standing is lifted.
  void Pay() {
    auto paid = Tx([&](db::Transaction& tx) {
      return billing::MarkPaidIn(tx, billing_config_, invoice_, billing::kPaidViaManual, "test",
                                 NowMs(), "http://nimbus.test");
    });
    ASSERT_TRUE(paid) << paid.error().message;
    EXPECT_TRUE(paid->lifted);
  }

  Result<UploadResult> Upload(Caller caller, const std::string& parent, const std::string& path,
                              const std::string& data, bool declare = true) {
    UploadRequest r;
    r.caller = caller;
    r.parent_id = parent;
    r.path = path;
    if (declare) r.declared_size = data.size();
    StringSource src(data, 7000);
    return Run(files_->Upload(r, src));
  }

  std::int64_t Nodes() { return Count("SELECT COUNT(*) FROM nodes"); }
  std::int64_t Reservations() { return Count("SELECT COUNT(*) FROM reservations"); }

  // Expects a 402 with `sentence`.
  template <class T>
  void ExpectPaymentRequired(const Result<T>& r, const std::string& sentence,
                             const std::string& what) {
    ASSERT_FALSE(r) << what << " was allowed";
    EXPECT_EQ(r.error().code, Errc::kPaymentRequired) << what << ": " << r.error().message;
    EXPECT_EQ(r.error().message, sentence) << what;
  }

  config::BillingConfig billing_config_;
  std::string invoice_;
  std::unique_ptr<TusService> tus_;
};

TEST_F(StandingTest, ActiveAccountsAndAccountsWithoutBillingRowPass) {
  auto ok = Tx([&](db::Transaction& tx) { return billing::RequireGoodStanding(tx, alice_); });
  EXPECT_TRUE(ok) << ok.error().message;
  EXPECT_TRUE(Upload(alice_, "root", "a.txt", "hello"));
}

TEST_F(StandingTest, PastDueRefusesEverythingNewAndWritesNothing) {
  Node docs = Folder(alice_, "root", "Docs");
  Node file = File(alice_, docs.id, "report.txt", "the report");
  Node old = File(alice_, "root", "old.txt", "old bytes");
  auto trashed = Run(files_->Delete(alice_, old.id));
  ASSERT_TRUE(trashed) << trashed.error().message;
  PastDue(alice_);
  const std::int64_t nodes = Nodes();

  // Uploads: small (reserved in the process), large (a reservation row), chunked, replacing.
  ExpectPaymentRequired(Upload(alice_, "root", "small.txt", "tiny"), kAlicePastDue, "small upload");
  ExpectPaymentRequired(Upload(alice_, docs.id, "big.bin", std::string(100'000, 'x')),
                        kAlicePastDue, "large upload");
  ExpectPaymentRequired(Upload(alice_, "root", "chunked.txt", "abc", false), kAlicePastDue,
                        "chunked upload");
  ExpectPaymentRequired(Upload(alice_, "root", "new/dir/deep.txt", "abc"), kAlicePastDue,
                        "upload creating folders");
  UploadRequest replace;
  replace.caller = alice_;
  replace.parent_id = docs.id;
  replace.path = "report.txt";
  replace.on_conflict = OnConflict::kReplace;
  replace.declared_size = 3;
  ExpectPaymentRequired(Run(files_->PrepareUpload(replace)), kAlicePastDue, "replace");
  // Copies, new folders, restores.
  ExpectPaymentRequired(Run(files_->Copy(alice_, file.id, "root", std::nullopt)), kAlicePastDue,
                        "copy of a file");
  ExpectPaymentRequired(Run(files_->Copy(alice_, docs.id, "root", std::string("Docs 2"))),
                        kAlicePastDue, "copy of a folder");
  ExpectPaymentRequired(Run(files_->MakeFolders(alice_, "root", "Photos")), kAlicePastDue,
                        "new folder");
  ExpectPaymentRequired(Run(files_->Restore(alice_, trashed->id)), kAlicePastDue, "restore");
  // Resumable uploads: refused at creation.
  TusCreateRequest create;
  create.owner_id = alice_;
  create.path = "movie.bin";
  create.length = 200'000;
  ExpectPaymentRequired(Run(tus_->Create(create)), kAlicePastDue, "tus creation");

  EXPECT_EQ(Nodes(), nodes) << "nothing new appeared";
  EXPECT_EQ(Reservations(), 0) << "no reservation left";
  EXPECT_EQ(Count("SELECT COUNT(*) FROM tus_uploads"), 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM nodes WHERE trash_id IS NOT NULL AND trash_id != ''"), 1)
      << "the trashed file is still in the trash";
  auto usage = Run(files_->GetUsage(alice_));
  ASSERT_TRUE(usage) << usage.error().message;
  EXPECT_EQ(usage->reserved_bytes, 0);
}

TEST_F(StandingTest, PastDueStillReadsListsDownloadsRenamesDeletesAndShares) {
  Node docs = Folder(alice_, "root", "Docs");
  Node file = File(alice_, docs.id, "report.txt", "the report");
  Node other = File(alice_, "root", "other.txt", "other");
  Node gone = File(alice_, "root", "gone.txt", "gone");
  PastDue(alice_);

  auto got = Run(files_->Get(alice_, file.id));
  ASSERT_TRUE(got) << got.error().message;
  auto listed = Run(files_->Children(alice_, docs.id, ListOptions{}));
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_EQ(listed->items.size(), 1u);
  StringSink sink;
  auto read = Run(files_->ReadContent(*got, {}, sink));
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(sink.out, "the report");
  auto renamed = Run(files_->Update(alice_, file.id, std::string("final.txt"), std::nullopt));
  ASSERT_TRUE(renamed) << renamed.error().message;
  EXPECT_EQ(renamed->name, "final.txt");
  auto moved = Run(files_->Update(alice_, other.id, std::nullopt, docs.id));
  ASSERT_TRUE(moved) << moved.error().message;
  auto deleted = Run(files_->Delete(alice_, gone.id));
  ASSERT_TRUE(deleted) << deleted.error().message;
  auto forever = Run(files_->DeleteForever(alice_, deleted->id));
  ASSERT_TRUE(forever) << forever.error().message;
  auto trashed = Run(files_->Delete(alice_, other.id));
  ASSERT_TRUE(trashed) << trashed.error().message;
  auto emptied = Run(files_->EmptyTrash(alice_));
  ASSERT_TRUE(emptied) << emptied.error().message;

  const std::string url = "http://nimbus.test";
  ShareService shares({*db_, workers_, clock_, *files_, url});
  auto shared = Run(shares.Create(alice_, docs.id, "bob@example.com", Permission::kRead));
  ASSERT_TRUE(shared) << shared.error().message;
  auto seen = Run(files_->Get(bob_, docs.id));
  ASSERT_TRUE(seen) << seen.error().message;
}

TEST_F(StandingTest, GranteeUploadIntoPastDueOwnersFolderNamesTheOwner) {
  Node team = Folder(alice_, "root", "Team");
  db::ShareRow row;
  row.id = "share-1";
  row.node_id = team.id;
  row.owner_id = alice_;
  row.grantee_id = bob_;
  row.permission = "edit";
  row.created_at = NowMs();
  ASSERT_TRUE(Tx([&](db::Transaction& tx) { return db::ShareStore::Insert(tx, row); }));
  PastDue(alice_);
  const std::string sentence =
      "The account of alice (alice@example.com), who shared this folder with you, is past due: "
      "12.34 USD has been unpaid since 3 Dec 2026, so nothing new can be uploaded, copied or "
      "restored into it until they pay. Its files stay safe and you can still open and download "
      "them.";
  ExpectPaymentRequired(Upload(bob_, team.id, "notes.txt", "from bob"), sentence,
                        "grantee's upload");
  ExpectPaymentRequired(Run(files_->MakeFolders(bob_, team.id, "Sub")), sentence,
                        "grantee's new folder");
  Node mine = File(bob_, "root", "mine.txt", "bob's");
  ExpectPaymentRequired(Run(files_->Copy(bob_, mine.id, team.id, std::nullopt)), sentence,
                        "grantee's copy into the shared folder");
  EXPECT_EQ(Reservations(), 0);
  // Bob's own space is in good standing: his uploads there work.
  auto own = Upload(bob_, "root", "own.txt", "fine");
  EXPECT_TRUE(own) << own.error().message;
  // A copy out of the past-due owner's folder into bob's own space is bob's business.
  Node shared_file = File(alice_, team.id, "plan.txt", "plan");
  auto out = Run(files_->Copy(bob_, shared_file.id, "root", std::nullopt));
  EXPECT_TRUE(out) << out.error().message;
}

TEST_F(StandingTest, TusAppendStopsWhenTheAccountFallsPastDueAndResumesAfterPaying) {
  const std::string data(150'000, 'z');
  TusCreateRequest create;
  create.owner_id = alice_;
  create.path = "movie.bin";
  create.length = data.size();
  auto up = Run(tus_->Create(create));
  ASSERT_TRUE(up) << up.error().message;
  StringSource first(data.substr(0, 50'000), 8192);
  auto appended = Run(tus_->Append(alice_, up->id, 0, first, std::nullopt));
  ASSERT_TRUE(appended) << appended.error().message;
  EXPECT_EQ(appended->offset, 50'000);

  PastDue(alice_);
  StringSource second(data.substr(50'000), 8192);
  ExpectPaymentRequired(Run(tus_->Append(alice_, up->id, 50'000, second, std::nullopt)),
                        kAlicePastDue, "tus append");
  auto still = Run(tus_->Get(alice_, up->id));
  ASSERT_TRUE(still) << still.error().message;
  EXPECT_EQ(still->offset, 50'000) << "no byte taken while past due";
  EXPECT_EQ(still->state, TusState::kReceiving);

  Pay();
  StringSource resume(data.substr(50'000), 8192);
  auto done = Run(tus_->Append(alice_, up->id, 50'000, resume, std::nullopt));
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_EQ(done->state, TusState::kDone);
  auto node = Run(files_->Get(alice_, done->node_id));
  ASSERT_TRUE(node) << node.error().message;
  EXPECT_EQ(node->size, static_cast<std::int64_t>(data.size()));
}

TEST_F(StandingTest, PayingLiftsItAtOnce) {
  Node file = File(alice_, "root", "a.txt", "aaa");
  PastDue(alice_);
  ExpectPaymentRequired(Upload(alice_, "root", "b.txt", "bbb"), kAlicePastDue, "upload");
  Pay();
  auto up = Upload(alice_, "root", "b.txt", "bbb");
  EXPECT_TRUE(up) << up.error().message;
  auto copy = Run(files_->Copy(alice_, file.id, "root", std::nullopt));
  EXPECT_TRUE(copy) << copy.error().message;
  auto folder = Run(files_->MakeFolders(alice_, "root", "Photos"));
  EXPECT_TRUE(folder) << folder.error().message;
}

TEST(PastDueSentenceTest, SaysWhatIsDueAndSince) {
  billing::Standing s;
  s.state = "past_due";
  s.past_due_since = kSince;
  s.amount_due = 500;
  s.currency = "EUR";
  const std::string own = billing::PastDueSentence(s);
  EXPECT_TRUE(own.starts_with(
      "Your account is past due: 5.00 EUR has been unpaid since 3 Dec 2026, so uploads"))
      << own;
  s.amount_due = 0;
  s.currency.clear();
  s.past_due_since.reset();
  const std::string theirs = billing::PastDueSentence(s, "Ann (ann@x)");
  EXPECT_TRUE(
      theirs.starts_with("The account of Ann (ann@x), who shared this folder with you, "
                         "is past due: An invoice is unpaid, so nothing new"))
      << theirs;
}

}  // namespace
}  // namespace nimbus::core::files
