// SPDX-License-Identifier: AGPL-3.0-or-later
#include "config/toml_reader.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>

namespace nimbus::config {
namespace {

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// "the integer 42", "the string \"x\"": what the file actually holds, for type errors.
std::string DescribeNode(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string:
      return fmt::format("the string \"{}\"", n.as_string()->get());
    case toml::node_type::integer:
      return fmt::format("the integer {}", n.as_integer()->get());
    case toml::node_type::floating_point:
      return fmt::format("the float {}", n.as_floating_point()->get());
    case toml::node_type::boolean:
      return fmt::format("the boolean {}", n.as_boolean()->get());
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    default:
      return "a date or time";
  }
}

template <class T>
bool ParseNumber(std::string_view text, T& out) {
  if (text.empty()) return false;
  const char* begin = text.data();
  if (text.front() == '+') ++begin;
  auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

// "512", "512B", "64KiB", "200 GiB": bytes. Only binary units, so "GB" cannot be misread.
std::optional<uint64_t> ParseBytes(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  uint64_t n = 0;
  if (i == 0 || !ParseNumber(text.substr(0, i), n)) return std::nullopt;
  std::string_view unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  static constexpr std::pair<std::string_view, int> kUnits[] = {
      {"", 0}, {"B", 0}, {"KiB", 10}, {"MiB", 20}, {"GiB", 30}, {"TiB", 40}};
  for (const auto& [name, shift] : kUnits) {
    if (unit != name) continue;
    if (shift > 0 && n > (UINT64_MAX >> shift)) return std::nullopt;
    return n << shift;
  }
  return std::nullopt;
}

constexpr std::string_view kBytesShape = "a byte count (an integer or a string like \"200GiB\")";

}  // namespace

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string Suggest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const auto& c : candidates) {
    size_t d = EditDistance(word, c);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  bool close = best_distance <= 2 || best_distance <= word.size() / 3;
  return close && best_distance < word.size() ? best : std::string();
}

TomlReader::TomlReader(ReadContext& ctx, std::string file, const toml::table* table,
                       std::string env_prefix, std::filesystem::path base_dir, toml::table* out)
    : ctx_(ctx),
      file_(std::move(file)),
      table_(table),
      env_prefix_(std::move(env_prefix)),
      base_dir_(std::move(base_dir)),
      out_(out) {}

TomlReader TomlReader::Child(const toml::table* table, std::string path, std::string env_prefix,
                             toml::table* out) {
  TomlReader child(ctx_, file_, table, std::move(env_prefix), base_dir_, out);
  child.path_ = std::move(path);
  return child;
}

std::string TomlReader::EnvName(std::string_view key) const { return env_prefix_ + Upper(key); }

bool TomlReader::Declare(std::string_view key) {
  known_.emplace_back(key);
  if (ctx_.mode == ReadMode::kSchema) ctx_.schema.push_back({file_, path_ + std::string(key)});
  return ctx_.mode == ReadMode::kRead;
}

std::optional<TomlReader::Raw> TomlReader::Get(std::string_view key) {
  if (!env_prefix_.empty()) {
    std::string name = EnvName(key);
    ctx_.env_names.insert(name);
    if (ctx_.env != nullptr) {
      auto it = ctx_.env->find(name);
      if (it != ctx_.env->end()) return Raw{nullptr, it->second, name, 2};
    }
  }
  if (table_ != nullptr) {
    if (const toml::node* node = table_->get(key)) {
      return Raw{node, "", file_ + ": " + path_ + std::string(key), 1};
    }
  }
  return std::nullopt;
}

void TomlReader::MarkSet(std::string_view key, const Raw& raw) {
  sources_[std::string(key)] = raw.where;
}

std::string TomlReader::Where(std::string_view key) const {
  auto it = sources_.find(std::string(key));
  if (it != sources_.end()) return it->second;
  return file_ + ": " + path_ + std::string(key);
}

void TomlReader::Error(std::string_view key, std::string_view problem) {
  if (reading()) ctx_.errors.push_back(fmt::format("{}: {}", Where(key), problem));
}

void TomlReader::TypeError(const Raw& raw, std::string_view shape) {
  if (raw.node != nullptr) {
    ctx_.errors.push_back(
        fmt::format("{}: expected {}, got {}", raw.where, shape, DescribeNode(*raw.node)));
  } else {
    ctx_.errors.push_back(fmt::format("{}: expected {}, got \"{}\"", raw.where, shape, raw.text));
  }
}

void TomlReader::IntImpl(std::string_view key, int64_t& value, int64_t min, int64_t max) {
  if (!Declare(key)) return Emit(key, value);
  auto raw = Get(key);
  if (!raw) return;
  int64_t v = 0;
  bool ok = raw->node != nullptr
                ? raw->node->is_integer() && (v = raw->node->as_integer()->get(), true)
                : ParseNumber(raw->text, v);
  if (!ok) return TypeError(*raw, "an integer");
  MarkSet(key, *raw);
  if (v < min || v > max) {
    return Error(key, fmt::format("must be between {} and {}, got {}", min, max, v));
  }
  value = v;
}

void TomlReader::Bool(std::string_view key, bool& value) {
  if (!Declare(key)) return Emit(key, value);
  auto raw = Get(key);
  if (!raw) return;
  std::optional<bool> v;
  if (raw->node != nullptr) {
    if (raw->node->is_boolean()) v = raw->node->as_boolean()->get();
  } else if (raw->text == "true" || raw->text == "false") {
    v = raw->text == "true";
  }
  if (!v) return TypeError(*raw, "a boolean (true or false)");
  MarkSet(key, *raw);
  value = *v;
}

void TomlReader::Float(std::string_view key, double& value, double min, double max) {
  if (!Declare(key)) return Emit(key, value);
  auto raw = Get(key);
  if (!raw) return;
  double v = 0;
  bool ok = false;
  if (raw->node != nullptr) {
    if (raw->node->is_floating_point()) ok = (v = raw->node->as_floating_point()->get(), true);
    if (raw->node->is_integer())
      ok = (v = static_cast<double>(raw->node->as_integer()->get()), true);
  } else {
    ok = ParseNumber(raw->text, v);
  }
  if (!ok) return TypeError(*raw, "a number");
  MarkSet(key, *raw);
  if (!(v >= min && v <= max)) {
    return Error(key, fmt::format("must be between {} and {}, got {}", min, max, v));
  }
  value = v;
}

void TomlReader::String(std::string_view key, std::string& value, const StringRule& rule) {
  if (!Declare(key)) return Emit(key, rule.mask != nullptr ? rule.mask(value) : value);
  auto raw = Get(key);
  if (!raw) return;
  std::string v;
  if (raw->node != nullptr) {
    if (!raw->node->is_string()) return TypeError(*raw, rule.shape);
    v = raw->node->as_string()->get();
  } else {
    v = raw->text;
  }
  MarkSet(key, *raw);
  if (rule.check) {
    if (std::string problem = rule.check(v); !problem.empty()) return Error(key, problem);
  }
  value = std::move(v);
}

void TomlReader::Choice(std::string_view key, std::string& value,
                        std::initializer_list<std::string_view> options) {
  std::string list;
  for (auto o : options) list += fmt::format("{}\"{}\"", list.empty() ? "" : ", ", o);
  std::string shape = "one of " + list;
  StringRule rule{shape, [&](const std::string& v) {
                    bool known = std::find(options.begin(), options.end(), v) != options.end();
                    return known ? std::string() : fmt::format("must be {}, got \"{}\"", shape, v);
                  }};
  String(key, value, rule);
}

void TomlReader::Bytes(std::string_view key, uint64_t& value, uint64_t min, uint64_t max) {
  if (!Declare(key)) return Emit(key, static_cast<int64_t>(value));
  auto raw = Get(key);
  if (!raw) return;
  std::optional<uint64_t> v;
  if (raw->node != nullptr) {
    if (raw->node->is_integer() && raw->node->as_integer()->get() >= 0) {
      v = static_cast<uint64_t>(raw->node->as_integer()->get());
    } else if (raw->node->is_string()) {
      v = ParseBytes(raw->node->as_string()->get());
    }
  } else {
    v = ParseBytes(raw->text);
  }
  if (!v) return TypeError(*raw, kBytesShape);
  MarkSet(key, *raw);
  if (*v < min || *v > max) {
    return Error(key, fmt::format("must be between {} and {} bytes, got {}", min, max, *v));
  }
  value = *v;
}

void TomlReader::Path(std::string_view key, std::string& value) {
  std::string v = value;
  String(key, v, StringRule{"a string (a file path)"});
  if (!reading() || !IsSet(key)) return;
  std::filesystem::path p(v);
  bool from_file = Where(key).starts_with(file_ + ":");
  value = (from_file && !v.empty() && p.is_relative()) ? (base_dir_ / p).string() : v;
}

void TomlReader::Secret(std::string_view key, std::string& value, std::string& file_value) {
  std::string file_key = std::string(key) + "_file";
  bool read = Declare(key);
  Declare(file_key);
  if (!read) {
    Emit(key, value.empty() ? "" : "***");
    Emit(file_key, file_value);
    return;
  }
  auto direct = Get(key);
  auto from_file = Get(file_key);
  if (direct && direct->node != nullptr && !direct->node->is_string()) {
    return TypeError(*direct, "a string");
  }
  if (from_file && from_file->node != nullptr && !from_file->node->is_string()) {
    return TypeError(*from_file, "a string (a file path)");
  }
  // An empty value counts as unset, so `password = ""` beside `password_file` is no conflict.
  auto text_of = [](const Raw& raw) {
    return raw.node != nullptr ? std::string(raw.node->as_string()->get()) : raw.text;
  };
  if (direct && text_of(*direct).empty()) direct.reset();
  if (from_file && text_of(*from_file).empty()) from_file.reset();
  if (direct && from_file && direct->level == from_file->level) {
    MarkSet(file_key, *from_file);
    return Error(file_key, fmt::format("set either {} or {}, not both", key, file_key));
  }
  if (direct && (!from_file || direct->level > from_file->level)) {
    MarkSet(key, *direct);
    value = text_of(*direct);
    file_value.clear();
    return;
  }
  if (!from_file) return;
  MarkSet(file_key, *from_file);
  std::filesystem::path p(text_of(*from_file));
  if (from_file->node != nullptr && p.is_relative()) p = base_dir_ / p;
  std::ifstream in(p, std::ios::binary);
  if (!in) {
    return Error(file_key, fmt::format("cannot read \"{}\": {}", p.string(), std::strerror(errno)));
  }
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (content.ends_with('\n')) content.pop_back();
  if (content.ends_with('\r')) content.pop_back();
  value = std::move(content);
  file_value = p.string();
}

void TomlReader::Table(std::string_view key, const std::function<void(TomlReader&)>& fields) {
  std::string path = path_ + std::string(key) + ".";
  std::string env = env_prefix_.empty() ? "" : env_prefix_ + Upper(key) + "_";
  if (!Declare(key)) {
    toml::table t;
    auto child = Child(nullptr, path, "", out_ != nullptr ? &t : nullptr);
    fields(child);
    Emit(key, std::move(t));
    return;
  }
  const toml::node* node = table_ != nullptr ? table_->get(key) : nullptr;
  if (node != nullptr && !node->is_table()) {
    Raw raw{node, "", file_ + ": " + path_ + std::string(key), 1};
    return TypeError(raw, fmt::format("a table ([{}] section)", path_ + std::string(key)));
  }
  auto child = Child(node != nullptr ? node->as_table() : nullptr, path, env, nullptr);
  fields(child);
  child.Finish();
}

void TomlReader::Finish() {
  if (!reading() || table_ == nullptr) return;
  for (auto&& [k, v] : *table_) {
    std::string key(k.str());
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    std::string hint = Suggest(key, known_);
    ctx_.errors.push_back(
        fmt::format("{}: {}{}: unknown key{}", file_, path_, key,
                    hint.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", hint)));
  }
}

}  // namespace nimbus::config
