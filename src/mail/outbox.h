// Outbox: the durable queue of outgoing mail (table mail_outbox). The product enqueues inside
// its own write transaction (the mail exists exactly when the sign-up or reset does); the
// outbox sender delivers through the configured transport with retry and exponential backoff,
// so an SMTP outage delays mail but never loses it and never fails a request.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <cstdint>

#include "db/database.h"
#include "mail/message.h"
#include "util/result.h"

namespace nimbus::mail {

// Queues `message` for delivery as soon as possible; returns its outbox id.
Result<std::int64_t> Enqueue(db::Transaction& tx, const Message& message, std::int64_t now_ms);

}  // namespace nimbus::mail
