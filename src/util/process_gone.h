// Whether the process named in a lease (host and pid) is known to be gone: a run killed before it
// could give its lease back, so that another process may take the lease over before it expires.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>

namespace nimbus {

// This machine's host name ("" when it cannot be read).
std::string ThisHostName();

// True only when `host` is this machine, `pid` is not this process, and no process `pid`
// exists. A process of another host, or one that exists, is never "gone".
bool ProcessIsGone(std::string_view host, std::string_view pid);

// ProcessIsGone for a lease holder named "<tag>:<host>:<pid>" (scrubs, moves); false for a holder
// of another form.
bool TaggedHolderIsGone(std::string_view holder, std::string_view tag);

}  // namespace nimbus
