// SPDX-License-Identifier: AGPL-3.0-or-later
// Downloads: a file's bytes (a range of them) through the storage engine's mirror failover, and a
// folder as a zip streamed while it is built.
#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/files/file_service.h"
#include "core/files/tree_tx.h"
#include "core/files/zip_writer.h"
#include "util/run_blocking.h"

namespace nimbus::core::files {

net::awaitable<Result<void>> FileService::ReadContent(const Node& file, storage::ByteRange range,
                                                      storage::ByteSink& sink) {
  if (!file.is_file()) co_return Fail(Errc::kInvalidArgument, "'{}' is a folder", file.name);
  auto size = static_cast<std::uint64_t>(file.size);
  if (range.offset > size || (range.offset == size && size > 0)) {
    co_return Fail(Errc::kRangeNotSatisfiable, "range starts at {} of a {}-byte file", range.offset,
                   size);
  }
  std::uint64_t length = range.length.value_or(size - range.offset);
  if (length > size - range.offset) length = size - range.offset;
  if (length == 0) co_return Result<void>{};  // Nothing to read (an empty file).
  auto read =
      co_await deps_.blobs.Read(file.blob_id, storage::ByteRange{range.offset, length}, sink);
  if (!read && read.error().code == Errc::kChecksumMismatch) {
    // Every copy on the disks is damaged: a server fault (500), not the client's checksum (400).
    co_return Fail(Errc::kIoError, "'{}' ({}): {}: {}", file.name, file.id, kEveryCopyDamaged,
                   read.error().message);
  }
  co_return read;
}

namespace {

struct ZipEntry {
  std::string path;  // Inside the zip, no trailing slash.
  Node node;
};

// A file entry whose header goes into the zip with its first bytes: until then, a blob that is
// gone (the file was replaced or deleted after the listing was read) can still be swapped for the
// file's current version, or left out, and the zip stays whole.
class LazyEntry final : public storage::ByteSink {
 public:
  LazyEntry(ZipWriter& zip, const ZipEntry& entry) : zip_(zip), entry_(entry) {}
  net::awaitable<Result<void>> Write(std::span<const char> data) override {
    if (!started_) {
      started_ = true;
      auto begun = co_await zip_.BeginFile(
          entry_.path, static_cast<std::uint64_t>(entry_.node.size), entry_.node.modified_at);
      if (!begun) co_return begun;
    }
    co_return co_await zip_.Write(data);
  }
  bool started() const { return started_; }

 private:
  ZipWriter& zip_;
  const ZipEntry& entry_;
  bool started_ = false;
};

// A name as a zip entry's path component. The zip format separates folders with '/' only, and
// Windows' extractor takes '\' as a separator too: a name with a backslash would unpack as
// nested folders there, so it is replaced.
std::string ZipEntryName(std::string name) {
  std::ranges::replace(name, '\\', '_');
  return name;
}

// The live nodes of `folder` with their paths inside the zip, parents first. A folder zips as
// itself, as Dropbox and Nextcloud do: "Photos.zip" unpacks to "Photos/…" (the root, "files.zip",
// to its contents). With `only`, just those items directly in the folder and what is under them,
// at the zip's top level.
Result<std::vector<ZipEntry>> ZipEntries(db::Transaction& tx, const Node& folder,
                                         const std::vector<std::string>& only) {
  auto nodes = Subtree(tx, folder.id);
  if (!nodes) return std::unexpected(nodes.error());
  const std::unordered_set<std::string> wanted(only.begin(), only.end());
  std::size_t found = 0;
  std::unordered_map<std::string, std::string> prefix;  // Folder id → "a/b/" inside the zip.
  // A name changed for the zip ("a\\b" → "a_b") must not take the path of another entry: two
  // entries of one path unpack as one file, the other lost (QA pass 19). Names unchanged keep
  // theirs (they are unique in their folder); a changed one that clashes is numbered.
  std::set<std::pair<std::string, std::string>> real;  // (parent id, name) with a '_'.
  for (const Node& n : *nodes) {
    if (n.trash_id.empty() && n.name.find('_') != std::string::npos) {
      real.emplace(n.parent_id, n.name);
    }
  }
  std::unordered_set<std::string> taken;  // Paths given to changed names.
  auto entry_path = [&](const std::string& parent_path, const Node& n) {
    std::string name = ZipEntryName(n.name);
    if (name == n.name) return parent_path + name;
    for (int i = 1; real.contains({n.parent_id, name}) || taken.contains(parent_path + name); ++i) {
      name = NameVariant(ZipEntryName(n.name), n.type, FreeNameStyle::kNumbered, i);
    }
    taken.insert(parent_path + name);
    return parent_path + name;
  };
  std::vector<ZipEntry> out;
  out.reserve(nodes->size() + 1);
  if (only.empty() && !folder.is_root()) {
    prefix[folder.id] = ZipEntryName(folder.name) + "/";
    out.push_back(ZipEntry{ZipEntryName(folder.name), folder});
  } else {
    prefix[folder.id] = "";
  }
  for (Node& n : *nodes) {
    if (n.id == folder.id || !n.trash_id.empty()) continue;
    auto parent = prefix.find(n.parent_id);
    if (parent == prefix.end()) continue;  // Under a trashed folder, or not selected.
    if (!wanted.empty() && n.parent_id == folder.id) {
      if (!wanted.contains(n.id)) continue;
      ++found;
    }
    std::string path = entry_path(parent->second, n);
    if (n.is_folder()) prefix[n.id] = path + "/";
    out.push_back(ZipEntry{std::move(path), std::move(n)});
  }
  if (found < wanted.size()) {
    return Fail(Errc::kNotFound,
                "{} of the selected items {} no longer in '{}': deleted or moved elsewhere.",
                wanted.size() - found, wanted.size() - found == 1 ? "is" : "are",
                folder.is_root() ? std::string("/") : folder.name);
  }
  return out;
}

}  // namespace

net::awaitable<Result<void>> FileService::WriteZip(const Node& folder, storage::ByteSink& sink,
                                                   std::vector<std::string> only) {
  if (!folder.is_folder()) co_return Fail(Errc::kInvalidArgument, "'{}' is a file", folder.name);
  auto load = [&] {
    return deps_.db.Read([&](db::Transaction& tx) { return ZipEntries(tx, folder, only); });
  };
  auto entries = co_await RunBlocking(deps_.workers, load);
  if (!entries) co_return std::unexpected(entries.error());
  // The zip's first bytes go out with the status line: the disks are checked before them, so
  // that a user whose disks are out of service gets the 503 and its sentence, not a cut zip.
  auto first_file = std::ranges::find_if(
      *entries, [](const ZipEntry& e) { return e.node.is_file() && e.node.size > 0; });
  if (first_file != entries->end()) {
    if (auto ok = co_await deps_.blobs.CheckReadable(first_file->node.blob_id); !ok) {
      co_return std::unexpected(ok.error());
    }
  }
  auto zip = ZipWriter::Open(sink, deps_.config.zip_compression_level);
  if (!zip) co_return std::unexpected(zip.error());
  for (ZipEntry& e : *entries) {
    if (e.node.is_folder()) {
      if (auto r = co_await (*zip)->AddFolder(e.path, e.node.modified_at); !r) co_return r;
      continue;
    }
    for (int attempt = 0;; ++attempt) {
      auto size = static_cast<std::uint64_t>(e.node.size);
      if (size == 0) {
        if (auto r = co_await (*zip)->BeginFile(e.path, 0, e.node.modified_at); !r) co_return r;
        break;
      }
      LazyEntry entry(**zip, e);
      auto r = co_await deps_.blobs.Read(e.node.blob_id, storage::ByteRange{0, size}, entry);
      if (r) break;
      // Replaced or deleted since the listing (QA pass 21b: a sync job changing one file cut a
      // 400 MB zip off): its current version, or nothing when it is gone.
      if (r.error().code != Errc::kNotFound || entry.started() || attempt >= 3) co_return r;
      auto reload = [&] {
        return deps_.db.Read(
            [&](db::Transaction& tx) { return LoadLive(tx, folder.owner_id, e.node.id); });
      };
      Result<Node> now = co_await RunBlocking(deps_.workers, reload);
      if (!now && now.error().code == Errc::kNotFound) break;  // Deleted: left out.
      if (!now) co_return std::unexpected(now.error());
      if (now->blob_id == e.node.blob_id) co_return r;  // The same blob, truly missing.
      e.node.blob_id = now->blob_id;
      e.node.size = now->size;
      e.node.modified_at = now->modified_at;
    }
  }
  co_return co_await (*zip)->Finish();
}

}  // namespace nimbus::core::files
