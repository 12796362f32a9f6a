// `nimbus admin disk scrub (ID|--all) [--json] [--delete-orphans]`: scrubs pairs in the CLI
// process (opening just their volumes), printing progress on stderr and the report on stdout.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>

#include "config/config.h"

namespace nimbus::app {

struct ScrubCommand {
  std::string disk_id;  // Either disk of the pair; "" with `all`.
  bool all = false;
  bool json = false;  // One JSON object (or an array with --all) on stdout.
  bool delete_orphans = false;
};

// Exit code: 0 when every pair was clean or fully repaired (orphans and counter mismatches are
// reported, not failures); 1 when a blob is lost or not repaired, a side could not be read, or
// the scrub could not run (another process is scrubbing the pair, database errors); 2 for an
// unknown disk, a spare, or neither / both of ID and --all.
int ScrubDisks(const config::Config& config, const ScrubCommand& command);

}  // namespace nimbus::app
