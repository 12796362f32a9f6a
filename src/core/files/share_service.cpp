// SPDX-License-Identifier: AGPL-3.0-or-later
// ShareService: user shares on ShareStore. Every node a share shows is resolved with Authorize for
// the asking user, so a share's node is exactly what that user would see through /nodes/{id}.
#include "core/files/share_service.h"

#include <fmt/core.h>

#include <algorithm>
#include <utility>

#include "core/account_mail.h"
#include "core/email_address.h"
#include "core/files/page_cursor.h"
#include "core/secrets.h"
#include "db/stores/account_store.h"
#include "db/stores/activity_store.h"
#include "db/stores/share_store.h"
#include "util/run_blocking.h"

namespace nimbus::core::files {
namespace {

using db::ShareRow;
using db::ShareStore;
using db::Transaction;

Error ShareNotFound() { return Error{Errc::kNotFound, "This share does not exist."}; }

Permission PermissionOf(std::string_view name) {
  return name == "edit" ? Permission::kEdit : Permission::kRead;
}

Result<void> CheckPermission(Permission p) {
  if (p == Permission::kRead || p == Permission::kEdit) return {};
  return Fail(Errc::kInvalidArgument, "A share gives 'read' or 'edit' permission.");
}

Result<NodeOwner> UserOf(Transaction& tx, std::int64_t id) {
  auto row = ShareStore::UserNameEmail(tx, id);
  if (!row) return std::unexpected(std::move(row.error()));
  NodeOwner out;
  out.id = id;
  if (*row) {
    out.name = std::move((*row)->first);
    out.email = std::move((*row)->second);
  }
  return out;
}

// The share as `viewer` (its owner or its grantee) sees it; nullopt when the node is not visible
// to them any more (in the trash).
Result<std::optional<Share>> ShareOf(Transaction& tx, ShareRow row, std::int64_t viewer) {
  auto node = Authorize(tx, viewer, row.node_id, Permission::kRead);
  if (!node) {
    if (node.error().code == Errc::kNotFound) return std::optional<Share>();
    return std::unexpected(std::move(node.error()));
  }
  if (auto marked = MarkShared(tx, std::span(&*node, 1)); !marked) {
    return std::unexpected(std::move(marked.error()));
  }
  auto owner = UserOf(tx, row.owner_id);
  if (!owner) return std::unexpected(std::move(owner.error()));
  auto grantee = UserOf(tx, row.grantee_id);
  if (!grantee) return std::unexpected(std::move(grantee.error()));
  Share s;
  s.id = std::move(row.id);
  s.node = std::move(*node);
  s.owner = std::move(*owner);
  s.grantee = std::move(*grantee);
  s.permission = PermissionOf(row.permission);
  s.created_at = row.created_at;
  return std::optional<Share>(std::move(s));
}

// A share the caller may change: its owner's (kNotFound for anyone else; kForbidden, with a
// sentence, for its grantee, who sees it but may only leave it).
Result<ShareRow> OwnedShare(Transaction& tx, std::int64_t owner_id, std::string_view id,
                            std::string_view what) {
  auto row = ShareStore::Find(tx, id);
  if (!row) return std::unexpected(std::move(row.error()));
  if (!*row) return std::unexpected(ShareNotFound());
  if ((*row)->owner_id == owner_id) return std::move(**row);
  if ((*row)->grantee_id == owner_id) {
    return Fail(Errc::kForbidden,
                "Only the owner of what is shared with you can {}. You can leave the share.", what);
  }
  return std::unexpected(ShareNotFound());
}

std::vector<ActivityEntry> ActivityEntries(std::vector<db::ActivityRow> rows) {
  std::vector<ActivityEntry> out;
  out.reserve(rows.size());
  for (db::ActivityRow& r : rows) {
    ActivityEntry e;
    e.at = r.at;
    if (r.actor_id) {
      e.actor = NodeOwner{*r.actor_id, std::move(r.actor_name), std::move(r.actor_email)};
    }
    e.ip = std::move(r.ip);
    e.action = std::move(r.action);
    e.node_id = std::move(r.node_id);
    e.path = std::move(r.path);
    out.push_back(std::move(e));
  }
  return out;
}

std::string SharedItemLink(std::string_view public_url, std::string_view node_id) {
  return fmt::format("{}/shared/{}", public_url, node_id);
}

// What the share lets the recipient do, for its mail (a leading space: it follows a sentence).
std::string ShareAccessSentence(bool folder, Permission permission) {
  if (permission == Permission::kRead) {
    return folder ? " You can open and download what is in it." : " You can view and download it.";
  }
  return folder ? " You can open and download what is in it, and add, rename, move and delete "
                  "files in it."
                : " You can view and download it, and replace it with a new version.";
}

}  // namespace

net::awaitable<Result<Share>> ShareService::Create(std::int64_t owner_id, std::string node_id,
                                                   std::string email, Permission permission) {
  if (auto ok = CheckPermission(permission); !ok) co_return std::unexpected(ok.error());
  auto normalized = NormalizeEmail(email);
  if (!normalized) co_return std::unexpected(normalized.error());
  const std::int64_t now = ToUnixMs(deps_.clock.Now());
  auto write = [&] {
    return deps_.db.Write([&](Transaction& tx) -> Result<Share> {
      auto node = Authorize(tx, owner_id, node_id, Permission::kOwner);
      if (!node) return std::unexpected(std::move(node.error()));
      if (node->is_root()) {
        return Fail(Errc::kInvalidArgument,
                    "Your whole root folder cannot be shared: share a folder or file in it.");
      }
      auto grantee = db::AccountStore::FindUserByEmail(tx, *normalized);
      if (!grantee) return std::unexpected(std::move(grantee.error()));
      if (!*grantee) {
        return Fail(Errc::kUserNotFound,
                    "There is no Nimbus account with the email {}. Ask them to sign up first.",
                    *normalized);
      }
      if ((*grantee)->disabled) {  // Same code: the account cannot receive shares.
        return Fail(Errc::kUserNotFound,
                    "The Nimbus account of {} is disabled, so nothing can be shared with it. An "
                    "administrator can enable it again.",
                    *normalized);
      }
      if ((*grantee)->id == owner_id) {
        return Fail(Errc::kCannotShareWithSelf, "You cannot share '{}' with yourself.", node->name);
      }
      // Anyone can sign up with any address; only a confirmed one proves whose account it is.
      // Without this, signing up as someone else's address would receive what is shared with it.
      if (!(*grantee)->email_verified_at) {
        return Fail(Errc::kRecipientUnconfirmed,
                    "{} has not confirmed their email address yet, so nothing can be shared with "
                    "it. Ask them to open the link in their confirmation email (the page "
                    "/verify-email sends a new one), then share again.",
                    *normalized);
      }
      auto existing = ShareStore::FindByNodeAndGrantee(tx, node->id, (*grantee)->id);
      if (!existing) return std::unexpected(std::move(existing.error()));
      if (*existing) {
        return Fail(Errc::kAlreadyShared,
                    "'{}' is already shared with {} ({}): change the permission of that share "
                    "instead.",
                    node->name, *normalized, (*existing)->permission);
      }
      // Through a folder above it the grantee may have this permission already, or more: a
      // second share would give nothing, and would show them less than what applies (QA pass 18:
      // "Can view" on a folder they could edit through its parent's share). A higher one is a
      // real grant (edit inside a folder shared to view).
      auto inherited = Authorize(tx, (*grantee)->id, node->id, Permission::kRead);
      if (inherited && inherited->permission >= permission) {
        const std::string& path = inherited->path;  // "/<shared folder>/…" as the grantee sees it.
        const std::string top = path.substr(1, path.find('/', 1) - 1);
        return Fail(Errc::kAlreadyShared,
                    "{} can already {} '{}': it is inside '{}', which is shared with them. Change "
                    "the permission of that share instead.",
                    *normalized, inherited->permission == Permission::kRead ? "view" : "edit",
                    node->name, top);
      }
      if (!inherited && inherited.error().code != Errc::kNotFound &&
          inherited.error().code != Errc::kForbidden) {
        return std::unexpected(std::move(inherited.error()));
      }
      ShareRow row{RandomToken(16),
                   node->id,
                   owner_id,
                   (*grantee)->id,
                   std::string(PermissionName(permission)),
                   now};
      if (auto r = ShareStore::Insert(tx, row); !r) {
        if (r.error().code == Errc::kConflict) {
          return Fail(Errc::kAlreadyShared, "'{}' is already shared with {}.", node->name,
                      *normalized);
        }
        return std::unexpected(r.error());
      }
      auto owner = UserOf(tx, owner_id);
      if (!owner) return std::unexpected(std::move(owner.error()));
      const std::string& sharer = owner->name.empty() ? owner->email : owner->name;
      auto queued =
          QueueMail(tx, mail::Template::kShareReceived, (*grantee)->email,
                    {{"name", (*grantee)->name},
                     {"sharer", sharer},
                     {"item", node->name},
                     {"access", ShareAccessSentence(node->type == NodeType::kFolder, permission)},
                     {"link", SharedItemLink(deps_.public_url, node->id)}},
                    now);
      if (!queued) return std::unexpected(queued.error());
      auto share = ShareOf(tx, std::move(row), owner_id);
      if (!share) return std::unexpected(std::move(share.error()));
      if (!*share) return Fail(Errc::kInternal, "a new share's node is not visible to its owner");
      return std::move(**share);
    });
  };
  co_return co_await RunBlocking(deps_.workers, std::move(write));
}

net::awaitable<Result<SharePage>> ShareService::List(std::int64_t user_id, bool incoming, int limit,
                                                     std::string cursor) {
  auto after = ParseTimeIdCursor(cursor);  // "<created_at>\n<id>" of the last share.
  if (!after) co_return std::unexpected(after.error());
  const int want = std::max(1, limit);
  auto read = [&] {
    return deps_.db.Read([&](Transaction& tx) -> Result<SharePage> {
      auto rows = incoming ? ShareStore::ListByGrantee(tx, user_id, *after, want + 1)
                           : ShareStore::ListByOwner(tx, user_id, *after, want + 1);
      if (!rows) return std::unexpected(std::move(rows.error()));
      SharePage page;
      if (static_cast<int>(rows->size()) > want) {
        rows->resize(static_cast<std::size_t>(want));
        page.next_cursor = EncodeTimeIdCursor(rows->back().created_at, rows->back().id);
      }
      for (ShareRow& row : *rows) {
        auto share = ShareOf(tx, std::move(row), user_id);
        if (!share) return std::unexpected(std::move(share.error()));
        if (*share) page.items.push_back(std::move(**share));
      }
      return page;
    });
  };
  co_return co_await RunBlocking(deps_.workers, std::move(read));
}

net::awaitable<Result<std::vector<Share>>> ShareService::ListForNode(std::int64_t owner_id,
                                                                     std::string node_id) {
  auto read = [&] {
    return deps_.db.Read([&](Transaction& tx) -> Result<std::vector<Share>> {
      auto node = Authorize(tx, owner_id, node_id, Permission::kOwner);
      if (!node) return std::unexpected(std::move(node.error()));
      auto rows = ShareStore::ListByNode(tx, node->id);
      if (!rows) return std::unexpected(std::move(rows.error()));
      std::vector<Share> out;
      for (ShareRow& row : *rows) {
        auto share = ShareOf(tx, std::move(row), owner_id);
        if (!share) return std::unexpected(std::move(share.error()));
        if (*share) out.push_back(std::move(**share));
      }
      return out;
    });
  };
  co_return co_await RunBlocking(deps_.workers, std::move(read));
}

net::awaitable<Result<Share>> ShareService::Update(std::int64_t owner_id, std::string share_id,
                                                   Permission permission) {
  if (auto ok = CheckPermission(permission); !ok) co_return std::unexpected(ok.error());
  auto write = [&] {
    return deps_.db.Write([&](Transaction& tx) -> Result<Share> {
      auto row = OwnedShare(tx, owner_id, share_id, "change its permission");
      if (!row) return std::unexpected(std::move(row.error()));
      row->permission = PermissionName(permission);
      if (auto r = ShareStore::SetPermission(tx, row->id, row->permission); !r) {
        return std::unexpected(r.error());
      }
      auto share = ShareOf(tx, std::move(*row), owner_id);
      if (!share) return std::unexpected(std::move(share.error()));
      // Its node is in the trash: the share waits there with it.
      if (!*share) return std::unexpected(ShareNotFound());
      return std::move(**share);
    });
  };
  co_return co_await RunBlocking(deps_.workers, std::move(write));
}

net::awaitable<Result<std::int64_t>> ShareService::Delete(std::int64_t user_id,
                                                          std::string share_id) {
  auto write = [&] {
    return deps_.db.Write([&](Transaction& tx) -> Result<std::int64_t> {
      auto row = ShareStore::Find(tx, share_id);
      if (!row) return std::unexpected(std::move(row.error()));
      if (!*row || ((*row)->owner_id != user_id && (*row)->grantee_id != user_id)) {
        return std::unexpected(ShareNotFound());
      }
      auto deleted = ShareStore::Delete(tx, share_id);
      if (!deleted) return std::unexpected(std::move(deleted.error()));
      if (!*deleted) return std::unexpected(ShareNotFound());
      return (*row)->grantee_id;
    });
  };
  co_return co_await RunBlocking(deps_.workers, std::move(write));
}

net::awaitable<Result<std::vector<ActivityEntry>>> ShareService::Activity(std::int64_t owner_id,
                                                                          std::string share_id,
                                                                          int limit) {
  auto read = [&] {
    return deps_.db.Read([&](Transaction& tx) -> Result<std::vector<ActivityEntry>> {
      auto row = OwnedShare(tx, owner_id, share_id, "see its activity");
      if (!row) return std::unexpected(std::move(row.error()));
      auto rows = db::ActivityStore::List(tx, row->id, "", std::max(1, limit));
      if (!rows) return std::unexpected(std::move(rows.error()));
      return ActivityEntries(std::move(*rows));
    });
  };
  co_return co_await RunBlocking(deps_.workers, std::move(read));
}

net::awaitable<Result<std::vector<std::string>>> ShareService::Contacts(std::int64_t user_id,
                                                                        std::string prefix,
                                                                        int limit) {
  auto b = prefix.find_first_not_of(" \t");
  prefix = b == std::string::npos ? std::string() : prefix.substr(b);
  auto read = [&] {
    return deps_.db.Read([&](Transaction& tx) {
      return ShareStore::PastGranteeEmails(tx, user_id, prefix, std::max(1, limit));
    });
  };
  co_return co_await RunBlocking(deps_.workers, std::move(read));
}

}  // namespace nimbus::core::files
