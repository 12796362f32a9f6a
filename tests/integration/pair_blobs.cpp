// SPDX-License-Identifier: AGPL-3.0-or-later
#include "integration/pair_blobs.h"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include "db/database.h"
#include "db/stores/blob_store.h"
#include "storage/conformance/test_streams.h"
#include "storage/put_blob.h"
#include "storage/run_co.h"
#include "util/sha256.h"

namespace nimbus::test {
namespace {

namespace net = boost::asio;
using storage::BlobId;

template <class T>
T RunIo(net::awaitable<T> aw) {
  net::io_context ioc;
  return nimbus::testing::RunCo(ioc, std::move(aw));
}

}  // namespace

void PairBlobs::Write(const std::string& data_dir, int n, std::size_t base_size) {
  auto a1 = open_("a1");
  auto a1m = open_("a1m");
  ASSERT_TRUE(a1 && a1m);
  auto db = db::OpenDatabase("sqlite:" + data_dir + "/nimbus.db", {});
  ASSERT_TRUE(db) << db.error().message;
  for (int i = 0; i < n; ++i) {
    std::string bytes(base_size + static_cast<std::size_t>(i) * 7919 % (3 * base_size), '\0');
    for (std::size_t j = 0; j < bytes.size(); ++j) {
      bytes[j] = static_cast<char>((j * 131 + static_cast<std::size_t>(i) * 17) % 251);
    }
    const BlobId id = BlobId::Random();
    for (storage::Volume* v :
         {static_cast<storage::Volume*>(a1.get()), static_cast<storage::Volume*>(a1m.get())}) {
      storage::testing::StringSource src(bytes);
      auto put = RunIo(storage::PutBlob(*v, id, src));
      ASSERT_TRUE(put) << put.error().message;
    }
    db::BlobRow row{
        id.str(), 1, "a1", static_cast<std::int64_t>(bytes.size()), Sha256::HexOf(bytes), 1};
    auto rec = (*db)->Write([&](db::Transaction& tx) { return db::BlobStore(tx).Insert(row); });
    ASSERT_TRUE(rec) << rec.error().message;
    blobs_[id.str()] = std::move(bytes);
  }
}

void PairBlobs::ExpectAllOn(const std::string& disk) {
  auto v = open_(disk);
  ASSERT_TRUE(v);
  for (const auto& [id, bytes] : blobs_) {
    auto parsed = BlobId::Parse(id);
    ASSERT_TRUE(parsed);
    storage::testing::StringSink sink;
    auto got = RunIo(v->Get(*parsed, storage::ByteRange{}, sink));
    ASSERT_TRUE(got) << disk << " " << id << ": " << got.error().message;
    ASSERT_EQ(sink.out.size(), bytes.size()) << id;
    EXPECT_TRUE(sink.out == bytes) << "blob " << id << " differs on " << disk;
  }
}

}  // namespace nimbus::test
