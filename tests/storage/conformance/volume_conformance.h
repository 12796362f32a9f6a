// The Volume conformance suite: every Volume implementation must pass the TEST_Ps in
// volume_conformance.cpp. Instantiate it with a factory that makes a fresh, empty volume:
//   INSTANTIATE_TEST_SUITE_P(Memory, VolumeConformance, ::testing::Values(VolumeFactory{
//       "memory", [](WorkerPool&, const std::string&) { return std::make_unique<MemoryVolume>("m1"); }}),
//       VolumeFactoryName);
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "storage/volume.h"
#include "util/worker_pool.h"

namespace nimbus::storage::testing {

struct VolumeFactory {
  std::string name;  // Test-name suffix: letters, digits and '_' only.
  // Makes a fresh empty volume. `scratch_dir` is an empty directory of this test (removed after
  // it); `pool` outlives the volume.
  std::function<std::unique_ptr<Volume>(WorkerPool& pool, const std::string& scratch_dir)> make;
};

inline std::string VolumeFactoryName(const ::testing::TestParamInfo<VolumeFactory>& info) {
  return info.param.name;
}

class VolumeConformance : public ::testing::TestWithParam<VolumeFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  boost::asio::io_context ioc_;
  std::unique_ptr<WorkerPool> pool_;
  std::string scratch_;
  std::unique_ptr<Volume> volume_;
};

}  // namespace nimbus::storage::testing
