// Config: the whole resolved configuration, one member per TOML file (see load.h to build one).
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include "config/accounts.h"
#include "config/billing.h"
#include "config/disks.h"
#include "config/email.h"
#include "config/files.h"
#include "config/server.h"

namespace nimbus::config {

struct Config {
  ServerConfig server;
  AccountsConfig accounts;
  EmailConfig email;
  DisksConfig disks;
  BillingConfig billing;
  FilesConfig files;
};

}  // namespace nimbus::config
