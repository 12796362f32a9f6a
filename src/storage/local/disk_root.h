// The root directory of a local disk: its .nimbus-disk marker (disk id + created_at), its
// blobs/ and tmp/ directories, and the sweep of tmp/ at start-up. Blocking; used by
// LocalVolume::Open only.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace nimbus::storage::local {

inline constexpr char kMarkerName[] = ".nimbus-disk";

struct RootState {
  std::size_t swept_tmp_files = 0;  // Partial uploads removed from tmp/.
  std::uint64_t used_bytes = 0;     // Bytes of the blob files under blobs/.
  bool marker_created = false;      // The directory was new (empty) and got its marker now.
};

// Makes `root` a usable disk for `disk_id` and returns what it found:
// - root missing: created when `create_if_missing`, else kNotFound;
// - marker present: kInvalidArgument when it names another disk (nothing is written);
// - no marker: an empty directory (lost+found allowed) gets one; a non-empty one is refused
//   with kInvalidArgument and left untouched;
// - blobs/ and tmp/ are created, tmp/ is emptied, the blob bytes are counted.
// kIoError (with the errno text) when the file system fails.
// `sweep_tmp` false leaves tmp/ alone (a process opening the disks of a running server).
// `set_up_before`: the disk was opened here before, so a missing directory or one without a marker
// is kNotFound (a disk not mounted, or an empty one in its place), never set up anew.
// `installation`: this installation's id (see the installation table); a marker naming another
// one is refused with kInvalidArgument (nothing is written), one naming none gets this one, a
// new marker carries it. "" checks nothing (a disk opened without a database).
Result<RootState> PrepareRoot(const std::string& disk_id, const std::string& root,
                              bool create_if_missing, bool sweep_tmp = true,
                              bool set_up_before = false, std::string_view installation = {});

// What a marker file says ("" for a line it lacks).
struct Marker {
  std::string id;            // The disk id.
  std::string created_at;    // RFC 3339, when the disk was set up.
  std::string installation;  // The installation that owns the disk; "" in markers from before.
};

// The marker file at `root`: kNotFound when there is none, kInvalidArgument when it has no id.
Result<Marker> ReadMarker(const std::string& root);
// Its disk id.
Result<std::string> ReadMarkerId(const std::string& root);

}  // namespace nimbus::storage::local
