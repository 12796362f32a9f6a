// PairBlobs: blobs written straight onto both disks of the pair a1/a1m (as the server's mirrored
// write would) and recorded in the blob catalog of a data dir, then checked byte for byte on any
// disk: the replace/resilver tests of the CLI and of the admin API share it.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "storage/local/local_volume.h"

namespace nimbus::test {

class PairBlobs {
 public:
  // Opens a disk of the running test by id ("a1", "spare1"); nullptr after a failed expectation.
  using OpenDisk = std::function<std::unique_ptr<storage::LocalVolume>(const std::string& id)>;

  explicit PairBlobs(OpenDisk open) : open_(std::move(open)) {}

  // Writes `n` blobs of varied sizes (base_size to 4 × base_size; some over the 1 MiB block size)
  // on a1 and a1m and records them (owner 1, pair a1) in <data_dir>/nimbus.db. GoogleTest
  // assertions on failure.
  void Write(const std::string& data_dir, int n, std::size_t base_size);
  // Every blob written reads back byte-exact from the directory of `disk`.
  void ExpectAllOn(const std::string& disk);

 private:
  OpenDisk open_;
  std::map<std::string, std::string> blobs_;  // Id → bytes.
};

}  // namespace nimbus::test
