// SPDX-License-Identifier: AGPL-3.0-or-later
// Files integration tests (tus part of issue 5): written by its owner.
#include "integration/files_test_util.h"
