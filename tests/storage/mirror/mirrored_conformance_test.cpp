// The Volume conformance suite for MirroredVolume: over two MemoryVolumes and over two
// LocalVolumes in the test's scratch directory. SPDX-License-Identifier: AGPL-3.0-or-later
#include "storage/conformance/volume_conformance.h"
#include "storage/local/local_volume.h"
#include "storage/memory/memory_volume.h"
#include "storage/mirror/mirrored_volume.h"

namespace nimbus::storage::testing {

static std::unique_ptr<Volume> MirrorOfMemory(WorkerPool&, const std::string&) {
  return std::make_unique<MirroredVolume>(std::make_shared<MemoryVolume>("m1"),
                                          std::make_shared<MemoryVolume>("m1m"));
}

static std::unique_ptr<Volume> MirrorOfLocal(WorkerPool& pool, const std::string& scratch) {
  auto p = LocalVolume::Open({.id = "l1", .root = scratch + "/l1"}, pool);
  auto m = LocalVolume::Open({.id = "l1m", .root = scratch + "/l1m"}, pool);
  if (!p || !m) {
    ADD_FAILURE() << "LocalVolume::Open: " << (p ? m.error().message : p.error().message);
    return nullptr;
  }
  return std::make_unique<MirroredVolume>(std::shared_ptr<Volume>(std::move(*p)),
                                          std::shared_ptr<Volume>(std::move(*m)));
}

}  // namespace nimbus::storage::testing

// At global scope: inside a namespace with its own `testing`, the macro's names do not resolve.
using nimbus::storage::testing::VolumeConformance;
using nimbus::storage::testing::VolumeFactory;

INSTANTIATE_TEST_SUITE_P(
    Mirrored, VolumeConformance,
    ::testing::Values(VolumeFactory{"MirroredMemory", nimbus::storage::testing::MirrorOfMemory},
                      VolumeFactory{"MirroredLocal", nimbus::storage::testing::MirrorOfLocal}),
    nimbus::storage::testing::VolumeFactoryName);
