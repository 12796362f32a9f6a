// SPDX-License-Identifier: AGPL-3.0-or-later
#include "core/files/access.h"

#include <fmt/core.h>

#include "core/files/tree_tx.h"
#include "db/stores/node_store.h"
#include "db/stores/share_store.h"

namespace nimbus::core::files {
namespace {

Permission PermissionOf(std::string_view name) {
  return name == "edit" ? Permission::kEdit : Permission::kRead;
}

Error NotFound() { return Error{Errc::kNotFound, "This file or folder does not exist."}; }

Error Denied(const Node& node, Permission need) {
  const std::string& name = node.name.empty() ? std::string("this folder") : node.name;
  if (need == Permission::kOwner) {
    return Error{Errc::kForbidden,
                 fmt::format("Only the owner of '{}' can do this.", name)};
  }
  return Error{Errc::kForbidden,
               fmt::format("'{}' is shared with you to view only: you can open and download it, "
                           "but not change it. Ask its owner for edit access.",
                           name)};
}

}  // namespace

std::string_view PermissionName(Permission p) {
  switch (p) {
    case Permission::kRead:
      return "read";
    case Permission::kEdit:
      return "edit";
    case Permission::kOwner:
      break;
  }
  return "owner";
}

Caller Caller::ForLink(std::string link_id, std::string node_id, std::string ip) {
  Caller c;
  c.link_id = std::move(link_id);
  c.link_node_id = std::move(node_id);
  c.ip = std::move(ip);
  return c;
}

Result<Node> Authorize(db::Transaction& tx, const Caller& caller, std::string_view id,
                       Permission need) {
  std::string resolved(id);
  if (id == "root") {
    if (caller.is_link()) {
      resolved = caller.link_node_id;
    } else {
      auto root = db::NodeStore::RootId(tx, caller.user_id);
      if (!root) return std::unexpected(std::move(root.error()));
      if (!*root) return Fail(Errc::kNotFound, "This folder does not exist.");
      resolved = std::move(**root);
    }
  }
  auto row = db::NodeStore::Find(tx, resolved);
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row || !(*row)->trash_id.empty()) return std::unexpected(NotFound());
  Node node = NodeFromRow(std::move(**row));

  if (!caller.is_link() && node.owner_id == caller.user_id) {
    auto path = db::NodeStore::PathOf(tx, node.id);
    if (!path) return std::unexpected(std::move(path.error()));
    node.path = std::move(*path);
    node.permission = Permission::kOwner;
    return node;
  }

  // Not the owner: a share of the node or of a folder above it (or the link's tree).
  auto chain = db::ShareStore::AccessChain(tx, node.id, caller.is_link() ? 0 : caller.user_id);
  if (!chain) return std::unexpected(std::move(chain.error()));
  std::optional<std::size_t> top;  // The highest shared node on the way: where the path starts.
  std::optional<Permission> best;
  for (std::size_t i = 0; i < chain->size(); ++i) {
    const db::AccessStep& step = (*chain)[i];
    if (caller.is_link()) {
      if (step.id == caller.link_node_id) {
        top = i;
        best = Permission::kRead;
        break;
      }
      continue;
    }
    if (step.share_id.empty()) continue;
    if (!top) top = i;
    Permission p = PermissionOf(step.permission);
    if (!best || p > *best) {
      best = p;
      node.share_id = step.share_id;
    }
  }
  if (!top) return std::unexpected(NotFound());
  node.share_node_id = (*chain)[*top].id;
  node.permission = *best;
  std::string path;
  for (std::size_t i = *top; i < chain->size(); ++i) {
    path += '/';
    path += (*chain)[i].name;
  }
  node.path = path.empty() ? "/" : std::move(path);
  auto owner = db::ShareStore::UserNameEmail(tx, node.owner_id);
  if (!owner) return std::unexpected(std::move(owner.error()));
  auto info = std::make_shared<NodeOwner>();
  info->id = node.owner_id;
  if (*owner) {
    info->name = std::move((*owner)->first);
    info->email = std::move((*owner)->second);
  }
  node.owner = std::move(info);
  if (node.permission < need) return std::unexpected(Denied(node, need));
  return node;
}

Result<Node> AsSeenBy(db::Transaction& tx, const Caller& caller, Node node) {
  if (!caller.is_link() && node.owner_id == caller.user_id) return node;
  return Authorize(tx, caller, node.id, Permission::kRead);
}

Result<void> RequireEditableParent(db::Transaction& tx, const Caller& caller, const Node& node,
                                   std::string_view what) {
  if (node.permission == Permission::kOwner) return {};
  auto parent = Authorize(tx, caller, node.parent_id, Permission::kRead);
  if (parent && parent->permission >= Permission::kEdit) return {};
  if (parent) {
    return Fail(Errc::kForbidden,
                "'{}' is in '{}', which is shared with you to view only: only its owner can {} "
                "what is in it.",
                node.name, parent->name, what);
  }
  if (parent.error().code != Errc::kNotFound) return std::unexpected(parent.error());
  const std::string owner = node.owner && !node.owner->name.empty() ? node.owner->name
                                                                    : std::string("its owner");
  return Fail(Errc::kForbidden,
              "'{}' is shared with you: only {} can {} it. You can leave the share instead.",
              node.name, owner, what);
}

Result<void> MarkShared(db::Transaction& tx, std::span<Node> nodes) {
  if (nodes.empty()) return {};
  if (nodes.size() == 1) {
    Node& n = nodes.front();
    if (n.permission != Permission::kOwner) return {};
    auto shared = db::ShareStore::IsShared(tx, n.id);
    if (!shared) return std::unexpected(std::move(shared.error()));
    n.shared = *shared;
    return {};
  }
  // A page of children: one parent, one owner.
  const Node& first = nodes.front();
  if (first.permission != Permission::kOwner) return {};
  auto ids = db::ShareStore::SharedChildren(tx, first.owner_id, first.parent_id);
  if (!ids) return std::unexpected(std::move(ids.error()));
  if (ids->empty()) return {};
  for (Node& n : nodes) {
    if (n.permission == Permission::kOwner && n.parent_id == first.parent_id) {
      n.shared = ids->contains(n.id);
    }
  }
  return {};
}

}  // namespace nimbus::core::files
