// SPDX-License-Identifier: AGPL-3.0-or-later
#include <boost/json.hpp>

#include "api/file_handlers.h"
#include "api/json_codec.h"

namespace nimbus::api {

namespace json = boost::json;
using core::files::NodeType;

namespace {
std::string_view TypeName(NodeType t) { return t == NodeType::kFile ? "file" : "folder"; }
}  // namespace

json::object NodeJson(const core::files::Node& n, const core::User& owner) {
  json::object o{
      {"id", n.id},
      {"name", n.name},
      {"type", TypeName(n.type)},
      {"size", n.size},
      {"modified_at", Timestamp(n.modified_at)},
      {"created_at", Timestamp(n.created_at)},
      {"path", n.path},
      {"etag", n.etag()},
      {"owner", json::object{{"id", std::to_string(owner.id)},
                             {"name", owner.name},
                             {"email", owner.email}}},
      {"permission", "owner"},
      {"shared", false},
  };
  if (n.parent_id.empty()) {
    o["parent_id"] = nullptr;
  } else {
    o["parent_id"] = n.parent_id;
  }
  if (n.is_file()) o["checksum_sha256"] = n.sha256;
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

json::object TrashItemJson(const core::files::TrashItem& t) {
  return {{"id", t.id},
          {"node_id", t.node_id},
          {"name", t.name},
          {"type", TypeName(t.type)},
          {"size", t.size},
          {"original_path", t.original_path},
          {"original_parent_id", t.original_parent_id},
          {"deleted_at", Timestamp(t.deleted_at)},
          {"expires_at", Timestamp(t.expires_at)}};
}

}  // namespace nimbus::api
