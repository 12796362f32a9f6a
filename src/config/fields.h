// The field tables of the six config files (one function per file, written once for reading,
// describing and listing keys) and the checks they share. Internal to src/config/.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <string>
#include <vector>

#include "config/config.h"
#include "config/toml_reader.h"

namespace nimbus::config {

// Declare every key of the file on `r`; in kRead mode also check cross-key rules of that file.
void ServerFields(TomlReader& r, ServerConfig& c);
void AccountsFields(TomlReader& r, AccountsConfig& c);
void EmailFields(TomlReader& r, EmailConfig& c);
void DisksFields(TomlReader& r, DisksConfig& c);
void BillingFields(TomlReader& r, BillingConfig& c);
void FilesFields(TomlReader& r, FilesConfig& c);

// Fill derived defaults once every source is applied: public_url, database, mail_dir.
void ResolveServer(Config& c);
// Fill the default categories and disk layout, resolve file: URIs against data_dir, and check
// disks against each other and the categories against billing's plan bounds.
void ResolveDisks(Config& c, std::vector<std::string>& errors);

// Checks for StringRule::check: "" when fine, else the problem.
std::string CheckHostPort(const std::string& v);     // "host:port", port 0..65535.
std::string CheckDailyTime(const std::string& v);    // "HH:MM", 00:00..23:59.
std::string CheckHttpUrl(const std::string& v);      // http(s)://host…
std::string CheckDatabaseUrl(const std::string& v);  // "", sqlite:…, postgres(ql)://…
// "postgres://u:***@h/db": a URL with its password hidden.
std::string MaskUrlPassword(const std::string& v);

}  // namespace nimbus::config
