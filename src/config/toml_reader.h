// TomlReader: the typed field table every config file's parser uses. One call per key reads it
// from the file or its NIMBUS_* variable, checks type and range, and reports one-line errors;
// the same calls describe a resolved config as TOML and list every known key.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <fmt/core.h>
#include <toml++/toml.h>

#include <concepts>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace nimbus::config {

enum class ReadMode {
  kRead,      // Fill the structs from files and environment, collecting errors.
  kDescribe,  // Write the structs' values into TOML tables (secrets as "***").
  kSchema,    // Only list the keys.
};

// One key the loader knows: file "email.toml", path "smtp.port" ("disk.id" for [[disk]] items).
struct ConfigKey {
  std::string file;
  std::string path;
};

// State shared by every reader of one load (or one describe, or one schema walk).
struct ReadContext {
  ReadMode mode = ReadMode::kRead;
  const std::map<std::string, std::string>* env = nullptr;  // NIMBUS_* variables; may be null.
  std::set<std::string> env_names;                          // Every variable a key maps to.
  std::vector<std::string> errors;                          // One line each.
  std::vector<ConfigKey> schema;                            // Filled in kSchema mode.
};

// Rules for a string field. `shape` names the expected value in messages ("a string
// \"host:port\""); `check` returns a problem ("must be ...") or "" when the value is fine; `mask`
// hides secrets inside a value (the password of a URL) when describing.
struct StringRule {
  StringRule() = default;
  StringRule(std::string_view shape_in,  // NOLINT(google-explicit-constructor): used as {…}.
             std::function<std::string(const std::string&)> check_in = {},
             std::string (*mask_in)(const std::string&) = nullptr)
      : shape(shape_in), check(std::move(check_in)), mask(mask_in) {}

  std::string_view shape = "a string";
  std::function<std::string(const std::string&)> check;
  std::string (*mask)(const std::string&) = nullptr;
};

class TomlReader {
 public:
  // `file` is the label used in messages ("server.toml"); `table` the parsed file or null when the
  // file is absent; `env_prefix` ("NIMBUS_SERVER_") or "" for no environment overrides;
  // `base_dir` resolves relative paths found in the file; `out` receives values in kDescribe mode.
  TomlReader(ReadContext& ctx, std::string file, const toml::table* table, std::string env_prefix,
             std::filesystem::path base_dir, toml::table* out);

  ReadMode mode() const { return ctx_.mode; }
  bool reading() const { return ctx_.mode == ReadMode::kRead; }

  // Field kinds. Each leaves `value` unchanged when the key is unset or invalid (and records an
  // error for the latter). Integers and floats are checked against [min, max].
  template <std::integral T>
  void Int(std::string_view key, T& value, int64_t min, int64_t max) {
    int64_t v = static_cast<int64_t>(value);
    IntImpl(key, v, min, max);
    value = static_cast<T>(v);
  }
  void Bool(std::string_view key, bool& value);
  void Float(std::string_view key, double& value, double min, double max);
  void String(std::string_view key, std::string& value, const StringRule& rule = {});
  // A string from a fixed set, e.g. {"text", "json"}.
  void Choice(std::string_view key, std::string& value,
              std::initializer_list<std::string_view> options);
  // A byte count: an integer, or a string such as "512KiB", "200GiB" (B, KiB, MiB, GiB, TiB).
  void Bytes(std::string_view key, uint64_t& value, uint64_t min, uint64_t max);
  // A file path; a relative path from a file resolves against that file's directory.
  void Path(std::string_view key, std::string& value);
  // A secret `key` that may instead come from `key`_file (read, trailing newline trimmed). The
  // source with the higher precedence wins; both at the same level is an error.
  void Secret(std::string_view key, std::string& value, std::string& file_value);
  // A sub-table `[key]`; `fields` declares its keys on a child reader.
  void Table(std::string_view key, const std::function<void(TomlReader&)>& fields);
  // An array of tables `[[key]]` (not overridable by environment). In kRead mode, a present key
  // replaces `items` entirely.
  template <class T>
  void Tables(std::string_view key, std::vector<T>& items, void (*fields)(TomlReader&, T&));

  // Reports keys of the file that no field declared (with a "did you mean" suggestion).
  void Finish();

  // Where `key`'s current value came from, for messages: "server.toml: tls_key" or
  // "NIMBUS_SERVER_TLS_KEY" (the file form when unset).
  std::string Where(std::string_view key) const;
  // True when the file or the environment set `key`.
  bool IsSet(std::string_view key) const { return sources_.contains(std::string(key)); }
  // Records "<Where(key)>: <problem>" (kRead mode only).
  void Error(std::string_view key, std::string_view problem);

  const std::string& file() const { return file_; }

 private:
  struct Raw {
    const toml::node* node = nullptr;  // Value from the file, or
    std::string text;                  // the environment variable's text when node is null.
    std::string where;
    int level = 0;  // 1 = file, 2 = environment.
  };

  bool Declare(std::string_view key);  // Registers the key; true when the caller should read.
  std::optional<Raw> Get(std::string_view key);
  void MarkSet(std::string_view key, const Raw& raw);
  void TypeError(const Raw& raw, std::string_view shape);
  void IntImpl(std::string_view key, int64_t& value, int64_t min, int64_t max);
  std::string EnvName(std::string_view key) const;
  TomlReader Child(const toml::table* table, std::string path, std::string env_prefix,
                   toml::table* out);
  template <class V>
  void Emit(std::string_view key, V&& v) {
    if (out_ != nullptr) out_->insert_or_assign(std::string(key), std::forward<V>(v));
  }

  ReadContext& ctx_;
  std::string file_;
  std::string path_;  // Prefix of keys in messages: "" or "smtp." or "disk[2].".
  const toml::table* table_;
  std::string env_prefix_;
  std::filesystem::path base_dir_;
  toml::table* out_;
  std::vector<std::string> known_;              // Keys declared at this level.
  std::map<std::string, std::string> sources_;  // key -> Where() of its value.
};

template <class T>
void TomlReader::Tables(std::string_view key, std::vector<T>& items,
                        void (*fields)(TomlReader&, T&)) {
  if (!Declare(key)) {
    if (mode() == ReadMode::kSchema) {
      T dummy{};
      auto child = Child(nullptr, path_ + std::string(key) + ".", "", nullptr);
      fields(child, dummy);
    } else {
      toml::array arr;
      for (auto& item : items) {
        toml::table t;
        auto child = Child(nullptr, "", "", &t);
        fields(child, item);
        arr.push_back(std::move(t));
      }
      if (out_ != nullptr && !arr.empty()) out_->insert_or_assign(std::string(key), std::move(arr));
    }
    return;
  }
  const toml::node* node = table_ != nullptr ? table_->get(key) : nullptr;
  if (node == nullptr) return;
  const toml::array* arr = node->as_array();
  bool ok = arr != nullptr;
  for (size_t i = 0; ok && i < arr->size(); ++i) ok = (*arr)[i].is_table();
  if (!ok) {
    Raw raw{node, "", file_ + ": " + path_ + std::string(key), 1};
    return TypeError(raw, fmt::format("an array of tables ([[{}]] sections)", key));
  }
  items.clear();
  sources_[std::string(key)] = file_ + ": " + path_ + std::string(key);
  for (size_t i = 0; i < arr->size(); ++i) {
    T item{};
    auto child = Child((*arr)[i].as_table(), fmt::format("{}{}[{}].", path_, key, i), "", nullptr);
    fields(child, item);
    child.Finish();
    items.push_back(std::move(item));
  }
}

// Levenshtein distance; used for "did you mean" suggestions.
size_t EditDistance(std::string_view a, std::string_view b);
// The closest candidate to `word` if it is close enough to be a likely typo, else "".
std::string Suggest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace nimbus::config
