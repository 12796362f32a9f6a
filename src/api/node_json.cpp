// SPDX-License-Identifier: AGPL-3.0-or-later
#include <boost/json.hpp>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "api/file_handlers.h"
#include "api/json_codec.h"
#include "core/files/share_service.h"
#include "util/rfc3339.h"

namespace nimbus::api {

namespace json = boost::json;
using core::files::NodeType;

namespace {
std::string_view TypeName(NodeType t) { return t == NodeType::kFile ? "file" : "folder"; }

// True when one of the 8 bytes of `w` must be escaped: below 0x20, '"' or '\\' (exact, SWAR).
bool NeedsEscape8(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101, kHigh = 0x8080808080808080;
  auto zero_byte = [](std::uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  const std::uint64_t below_space = (w - kOnes * 0x20) & ~w & kHigh;
  return (below_space | zero_byte(w ^ (kOnes * '"')) | zero_byte(w ^ (kOnes * '\\'))) != 0;
}

// A JSON string's inside as Boost.JSON's serializer writes it: '"' and '\\' escaped, control
// characters as \b \t \n \f \r or \u00xx (lowercase hex), every other byte (UTF-8 included) as
// is. Runs of 8 plain bytes are checked at once: names, paths and hashes rarely need escaping.
void AppendEscaped(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t start = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    if (i + 8 <= s.size()) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if (!NeedsEscape8(w)) {
        i += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(s[i++]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + start, i - 1 - start);
    start = i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(s.data() + start, s.size() - start);
}

// A root has no parent; neither has the top of what is shared with the caller (or of a public
// link): its folder is not the caller's to see.
bool HidesParent(const core::files::Node& n) {
  return n.parent_id.empty() ||
         (n.permission != core::files::Permission::kOwner && n.id == n.share_node_id);
}

void AppendString(std::string& out, std::string_view s) {
  out += '"';
  AppendEscaped(out, s);
  out += '"';
}

void AppendInt(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void AppendTimestamp(std::string& out, std::int64_t ms) {
  out += '"';
  AppendRfc3339(out, ms);
  out += '"';
}

// NodeJson's members in NodeJson's order; `owner` is the owner object's JSON text.
void AppendNode(std::string& out, const core::files::Node& n, std::string_view owner) {
  out += "{\"id\":";
  AppendString(out, n.id);
  out += ",\"name\":";
  AppendString(out, n.name);
  out += n.is_file() ? ",\"type\":\"file\",\"size\":" : ",\"type\":\"folder\",\"size\":";
  AppendInt(out, n.size);
  out += ",\"modified_at\":";
  AppendTimestamp(out, n.modified_at);
  out += ",\"created_at\":";
  AppendTimestamp(out, n.created_at);
  out += ",\"path\":";
  AppendString(out, n.path);
  out += ",\"etag\":\"\\\"";  // Node::etag() without its allocations.
  AppendEscaped(
      out, n.sha256.empty() ? std::string_view(n.id) : std::string_view(n.sha256).substr(0, 32));
  out += '-';
  AppendInt(out, n.version);
  out += "\\\"\"";
  out += ",\"owner\":";
  out += owner;
  out += ",\"permission\":\"";
  out += core::files::PermissionName(n.permission);
  out += n.shared ? "\",\"shared\":true,\"parent_id\":" : "\",\"shared\":false,\"parent_id\":";
  if (HidesParent(n)) {
    out += "null";
  } else {
    AppendString(out, n.parent_id);
  }
  if (n.is_file()) {
    out += ",\"checksum_sha256\":";
    AppendString(out, n.sha256);
  }
  out += '}';
}

}  // namespace

json::object NodeJson(const core::files::Node& n, const core::User& caller) {
  const bool own = n.owner == nullptr;
  json::object o{
      {"id", n.id},
      {"name", n.name},
      {"type", TypeName(n.type)},
      {"size", n.size},
      {"modified_at", Timestamp(n.modified_at)},
      {"created_at", Timestamp(n.created_at)},
      {"path", n.path},
      {"etag", n.etag()},
      {"owner", json::object{{"id", std::to_string(own ? caller.id : n.owner->id)},
                             {"name", own ? caller.name : n.owner->name},
                             {"email", own ? caller.email : n.owner->email}}},
      {"permission", core::files::PermissionName(n.permission)},
      {"shared", n.shared},
  };
  if (HidesParent(n)) {
    o["parent_id"] = nullptr;
  } else {
    o["parent_id"] = n.parent_id;
  }
  if (n.is_file()) o["checksum_sha256"] = n.sha256;
  if (n.public_link) o["public_link"] = true;
  return o;
}

json::object PageJson(json::array items, const std::optional<std::string>& next) {
  json::object out{{"items", std::move(items)}};
  if (next) {
    out["next_cursor"] = *next;
  } else {
    out["next_cursor"] = nullptr;
  }
  return out;
}

std::string NodePageJsonText(const core::files::ChildPage& page, const core::User& caller) {
  // Every item of a page has the same owner: the caller, or the owner of a shared folder.
  const core::files::NodeOwner* other = page.items.empty() ? nullptr : page.items[0].owner.get();
  std::string owner_json = "{\"id\":";
  AppendString(owner_json, std::to_string(other ? other->id : caller.id));
  owner_json += ",\"name\":";
  AppendString(owner_json, other ? other->name : caller.name);
  owner_json += ",\"email\":";
  AppendString(owner_json, other ? other->email : caller.email);
  owner_json += '}';
  std::string out;
  // About 330 bytes of fixed text, dates and hashes per item, plus its names and path.
  out.reserve(64 + page.items.size() * (400 + owner_json.size()));
  out += "{\"items\":[";
  for (std::size_t i = 0; i < page.items.size(); ++i) {
    if (i > 0) out += ',';
    AppendNode(out, page.items[i], owner_json);
  }
  out += "],\"next_cursor\":";
  if (page.next_cursor) {
    AppendString(out, *page.next_cursor);
  } else {
    out += "null";
  }
  out += '}';
  return out;
}

json::object TrashItemJson(const core::files::TrashItem& t) {
  json::object o{{"id", t.id},
                 {"node_id", t.node_id},
                 {"name", t.name},
                 {"type", TypeName(t.type)},
                 {"size", t.size},
                 {"original_path", t.original_path},
                 {"original_parent_id", t.original_parent_id},
                 {"deleted_at", Timestamp(t.deleted_at)},
                 {"expires_at", Timestamp(t.expires_at)}};
  if (!t.deleted_by_email.empty()) {
    o["deleted_by"] = json::object{{"name", t.deleted_by_name}, {"email", t.deleted_by_email}};
  }
  if (!t.restores_to.empty()) o["restores_to"] = t.restores_to;
  return o;
}

json::object ActivityJson(const core::files::ActivityEntry& e) {
  json::object o{{"at", Timestamp(e.at)}};
  if (e.actor) {
    o["actor"] = json::object{
        {"id", std::to_string(e.actor->id)}, {"name", e.actor->name}, {"email", e.actor->email}};
  } else {
    o["actor"] = nullptr;
  }
  o["ip"] = e.ip;
  o["action"] = e.action;
  o["node_id"] = e.node_id;
  o["path"] = e.path;
  return o;
}

}  // namespace nimbus::api
