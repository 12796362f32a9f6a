// SPDX-License-Identifier: AGPL-3.0-or-later
// The documented example files in config/ must load, equal the defaults, and list every key the
// loader knows (and no other), so the docs cannot drift from the code.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "config/load.h"

namespace nimbus::config {
namespace {

const std::filesystem::path kExampleDir = std::filesystem::path(NIMBUS_SOURCE_DIR) / "config";

// The example file with its "#key = …" / "#[[table]]" lines uncommented ("# " prose stays).
toml::table Uncommented(const std::string& file) {
  std::ifstream in(kExampleDir / file);
  EXPECT_TRUE(in) << "missing example " << file;
  std::stringstream text;
  std::string line;
  static const std::regex kCommentedKey("^#([A-Za-z_\\[].*)$");
  while (std::getline(in, line)) text << std::regex_replace(line, kCommentedKey, "$1") << "\n";
  try {
    return toml::parse(text.str(), file);
  } catch (const toml::parse_error& e) {
    ADD_FAILURE() << file << " (uncommented) does not parse: " << e.description() << " at line "
                  << e.source().begin.line;
    return {};
  }
}

// Whether `path` ("smtp.port", "disk.id") exists in `t`; for an array of tables, in any element.
bool HasPath(const toml::table& t, std::string_view path) {
  size_t dot = path.find('.');
  std::string head(path.substr(0, dot));
  const toml::node* node = t.get(head);
  if (node == nullptr) return false;
  if (dot == std::string_view::npos) return true;
  std::string_view rest = path.substr(dot + 1);
  if (const toml::table* sub = node->as_table()) return HasPath(*sub, rest);
  if (const toml::array* arr = node->as_array()) {
    for (const auto& item : *arr) {
      if (item.is_table() && HasPath(*item.as_table(), rest)) return true;
    }
  }
  return false;
}

void CollectPaths(const toml::table& t, const std::string& prefix, std::set<std::string>& out) {
  for (auto&& [k, v] : t) {
    std::string path = prefix + std::string(k.str());
    out.insert(path);
    if (const toml::table* sub = v.as_table()) CollectPaths(*sub, path + ".", out);
    if (const toml::array* arr = v.as_array()) {
      for (const auto& item : *arr) {
        if (item.is_table()) CollectPaths(*item.as_table(), path + ".", out);
      }
    }
  }
}

TEST(ExampleConfig, LoadsAndEqualsTheBuiltInDefaults) {
  LoadOptions options;
  options.config_dir = kExampleDir;
  auto examples = LoadConfig(options);
  ASSERT_TRUE(examples.has_value()) << examples.error().message;
  auto defaults = LoadConfig(LoadOptions{});
  ASSERT_TRUE(defaults.has_value()) << defaults.error().message;
  EXPECT_EQ(DescribeConfig(*examples), DescribeConfig(*defaults));
}

TEST(ExampleConfig, DocumentsEveryKnownKey) {
  std::map<std::string, toml::table> files;
  for (const auto& key : KnownConfigKeys()) {
    if (!files.contains(key.file)) files[key.file] = Uncommented(key.file);
    EXPECT_TRUE(HasPath(files[key.file], key.path))
        << "config/" << key.file << " does not document \"" << key.path << "\"";
  }
  EXPECT_EQ(files.size(), 6u);
}

TEST(ExampleConfig, DocumentsNoUnknownKey) {
  std::map<std::string, std::set<std::string>> known;
  for (const auto& key : KnownConfigKeys()) known[key.file].insert(key.path);
  for (const auto& [file, keys] : known) {
    std::set<std::string> documented;
    CollectPaths(Uncommented(file), "", documented);
    for (const auto& path : documented) {
      EXPECT_TRUE(keys.contains(path)) << "config/" << file << " documents unknown key " << path;
    }
  }
}

TEST(ExampleConfig, EveryScalarKeyHasAnEnvironmentVariable) {
  // A value the loader cannot parse for any non-string type; the error must name the variable,
  // which proves the variable is read (an unread one would be "unknown setting").
  for (const auto& key : KnownConfigKeys()) {
    if (key.path.starts_with("disk.") || key.path.starts_with("spare.") ||
        key.path.starts_with("category.") || key.path == "disk" || key.path == "spare" ||
        key.path == "category" || key.path == "smtp" || key.path == "outbox" || key.path == "s3") {
      continue;
    }
    LoadOptions options;
    std::string name = EnvVarName(key);
    options.env[name] = "/nonexistent/\x01";
    auto c = LoadConfig(options);
    if (c.has_value()) continue;  // A free-form string accepts anything.
    EXPECT_EQ(c.error().message.find("unknown setting"), std::string::npos) << c.error().message;
    EXPECT_NE(c.error().message.find(name + ": "), std::string::npos)
        << name << ": " << c.error().message;
  }
}

}  // namespace
}  // namespace nimbus::config
