// SPDX-License-Identifier: AGPL-3.0-or-later
#include "config/load.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <sstream>

#include "config/fields.h"

extern char** environ;

namespace nimbus::config {
namespace {

struct FileSpec {
  std::string_view name;        // "server.toml"
  std::string_view env_prefix;  // "NIMBUS_SERVER_"
  std::function<void(TomlReader&, Config&)> fields;
};

const std::vector<FileSpec>& Files() {
  static const std::vector<FileSpec> files = {
      {"server.toml", "NIMBUS_SERVER_",
       [](TomlReader& r, Config& c) { ServerFields(r, c.server); }},
      {"accounts.toml", "NIMBUS_ACCOUNTS_",
       [](TomlReader& r, Config& c) { AccountsFields(r, c.accounts); }},
      {"email.toml", "NIMBUS_EMAIL_", [](TomlReader& r, Config& c) { EmailFields(r, c.email); }},
      {"disks.toml", "NIMBUS_DISKS_", [](TomlReader& r, Config& c) { DisksFields(r, c.disks); }},
      {"billing.toml", "NIMBUS_BILLING_",
       [](TomlReader& r, Config& c) { BillingFields(r, c.billing); }},
      {"files.toml", "NIMBUS_FILES_", [](TomlReader& r, Config& c) { FilesFields(r, c.files); }},
  };
  return files;
}

// Parses `path` into `table`; false (with the error recorded) when it cannot.
bool ParseFile(const std::filesystem::path& path, std::string_view name, toml::table& table,
               std::vector<std::string>& errors) {
  try {
    table = toml::parse_file(path.string());
    return true;
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    if (begin.line == 0) {
      errors.push_back(fmt::format("{}: cannot read: {}", name, e.description()));
    } else {
      errors.push_back(fmt::format("{}:{}:{}: parse error: {}", name, begin.line, begin.column,
                                   e.description()));
    }
    return false;
  }
}

// A *.toml file in the config dir that is none of ours is most likely a misspelt name.
void CheckUnknownFiles(const std::filesystem::path& dir, std::vector<std::string>& errors) {
  std::vector<std::string> known;
  for (const auto& f : Files()) known.emplace_back(f.name);
  std::error_code ec;
  std::vector<std::string> unknown;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (entry.path().extension() != ".toml") continue;
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    unknown.push_back(name);
  }
  std::sort(unknown.begin(), unknown.end());
  for (const auto& name : unknown) {
    std::string hint = Suggest(name, known);
    errors.push_back(
        fmt::format("{}: unknown config file{} (known: server, accounts, email, disks, "
                    "billing, files .toml)",
                    name, hint.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", hint)));
  }
}

void CheckUnknownEnv(const LoadOptions& options, const ReadContext& ctx,
                     std::vector<std::string>& errors) {
  std::vector<std::string> names(ctx.env_names.begin(), ctx.env_names.end());
  for (const auto& [name, value] : options.env) {
    bool ours = std::any_of(Files().begin(), Files().end(),
                            [&](const FileSpec& f) { return name.starts_with(f.env_prefix); });
    if (!ours || ctx.env_names.contains(name)) continue;
    std::string hint = Suggest(name, names);
    errors.push_back(fmt::format("{}: unknown setting{}", name,
                                 hint.empty() ? "" : fmt::format(" (did you mean {}?)", hint)));
  }
}

void ApplyFlags(const LoadOptions& options, Config& c, std::vector<std::string>& errors) {
  if (options.data_dir) {
    if (options.data_dir->empty()) {
      errors.push_back("--data: must not be empty");
    } else {
      c.server.data_dir = *options.data_dir;
    }
  }
  if (options.listen) {
    if (std::string problem = CheckHostPort(*options.listen); !problem.empty()) {
      errors.push_back("--listen: " + problem);
    } else {
      c.server.listen = *options.listen;
    }
  }
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += (out.empty() ? "" : "\n") + line;
  return out;
}

}  // namespace

Result<Config> LoadConfig(const LoadOptions& options) {
  ReadContext ctx;
  ctx.mode = ReadMode::kRead;
  ctx.env = &options.env;
  Config config;
  std::filesystem::path dir;
  if (options.config_dir) {
    dir = *options.config_dir;
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec)) {
      return Fail(Errc::kInvalidArgument, "config directory \"{}\" does not exist", dir.string());
    }
    CheckUnknownFiles(dir, ctx.errors);
  }
  for (const auto& spec : Files()) {
    toml::table table;
    bool have_file = false;
    std::error_code ec;
    if (options.config_dir && std::filesystem::exists(dir / spec.name, ec)) {
      if (!std::filesystem::is_regular_file(dir / spec.name, ec)) {
        ctx.errors.push_back(fmt::format("{}: is not a regular file", spec.name));
        continue;
      }
      if (!ParseFile(dir / spec.name, spec.name, table, ctx.errors)) continue;
      have_file = true;
    }
    TomlReader reader(ctx, std::string(spec.name), have_file ? &table : nullptr,
                      std::string(spec.env_prefix), dir, nullptr);
    spec.fields(reader, config);
    reader.Finish();
  }
  CheckUnknownEnv(options, ctx, ctx.errors);
  ApplyFlags(options, config, ctx.errors);
  ResolveServer(config);
  ResolveDisks(config, ctx.errors);
  if (!ctx.errors.empty()) return Fail(Errc::kInvalidArgument, "{}", Join(ctx.errors));
  return config;
}

std::string DescribeConfig(const Config& config) {
  ReadContext ctx;
  ctx.mode = ReadMode::kDescribe;
  Config copy = config;  // The field tables take non-const references; describing reads only.
  std::ostringstream os;
  for (const auto& spec : Files()) {
    toml::table out;
    TomlReader reader(ctx, std::string(spec.name), nullptr, "", {}, &out);
    spec.fields(reader, copy);
    // relaxed_float_precision prints 0.85 rather than 0.84999999999999998.
    auto flags = toml::toml_formatter::default_flags | toml::format_flags::relaxed_float_precision;
    os << "# " << spec.name << "\n" << toml::toml_formatter{out, flags} << "\n\n";
  }
  return os.str();
}

std::map<std::string, std::string> EnvironmentFromProcess() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos || !entry.starts_with("NIMBUS_")) continue;
    env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return env;
}

std::vector<ConfigKey> KnownConfigKeys() {
  ReadContext ctx;
  ctx.mode = ReadMode::kSchema;
  Config dummy;
  for (const auto& spec : Files()) {
    TomlReader reader(ctx, std::string(spec.name), nullptr, "", {}, nullptr);
    spec.fields(reader, dummy);
  }
  return ctx.schema;
}

std::string EnvVarName(const ConfigKey& key) {
  std::string name = "NIMBUS_" + key.file.substr(0, key.file.find('.')) + "_" + key.path;
  for (char& ch : name) {
    ch = ch == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  }
  return name;
}

}  // namespace nimbus::config
