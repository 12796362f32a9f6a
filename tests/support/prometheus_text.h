// A parser of the Prometheus text exposition format (0.0.4) for tests that read GET /metrics.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "util/result.h"

namespace nimbus::test {

// One sample line: `name{label="value",...} 12.5`.
struct PromSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// A parsed exposition: samples in order, and the `# TYPE name kind` declarations.
struct PromText {
  std::vector<PromSample> samples;
  std::map<std::string, std::string> types;  // family name -> counter|gauge|histogram|...

  // Samples named exactly `name`.
  std::vector<PromSample> Named(std::string_view name) const;
};

// Parses `text`; kInvalidArgument naming the first line that is not valid exposition format.
Result<PromText> ParsePrometheusText(std::string_view text);

}  // namespace nimbus::test
