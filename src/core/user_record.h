// Conversion from the store's user row to core's User (internal to core).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "core/account_types.h"
#include "db/stores/account_store.h"

namespace nimbus::core {

inline User ToUser(const db::UserRecord& r) {
  return User{r.id,       r.email,      r.name,
              r.is_admin, r.disabled,   r.email_verified_at.has_value(),
              r.root_id,  r.created_at, r.closing_at.has_value()};
}

}  // namespace nimbus::core
