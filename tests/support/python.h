// Python(): runs a python3 snippet, for checks that Python's standard library does best (reading
// zip files, the server's SQLite file). Tests of any layer may use it.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>
#include <vector>

namespace nimbus::test {

// Runs `code` with `args` as sys.argv[1:] (each single-quoted for the shell: no single quotes in
// the code or the arguments); returns its stdout (and stderr), or "ERROR <rc>: <output>" when
// it fails.
std::string Python(const std::string& code, const std::vector<std::string>& args = {});

}  // namespace nimbus::test
