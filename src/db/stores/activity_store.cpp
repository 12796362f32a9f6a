// SPDX-License-Identifier: AGPL-3.0-or-later
#include "db/stores/activity_store.h"

#include <fmt/core.h>

namespace nimbus::db {
namespace {

Value NullIfEmpty(std::string_view s) { return s.empty() ? Value() : Value(s); }

}  // namespace

Result<void> ActivityStore::Insert(Transaction& tx, const ActivityRow& a, int keep) {
  Value actor = a.actor_id ? Value(*a.actor_id) : Value();
  if (auto r = tx.Exec(
          "INSERT INTO share_activity (share_id, link_id, at, actor_id, ip, action, node_id, path)"
          " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          {NullIfEmpty(a.share_id), NullIfEmpty(a.link_id), a.at, actor, a.ip, a.action,
           a.node_id, a.path});
      !r) {
    return r;
  }
  const bool share = !a.share_id.empty();
  const std::string_view column = share ? "share_id" : "link_id";
  const std::string& key = share ? a.share_id : a.link_id;
  // The newest `keep` rows stay: the cut is the at/id of the keep-th newest.
  return tx.Exec(fmt::format("DELETE FROM share_activity WHERE {0} = ? AND id NOT IN"
                             " (SELECT id FROM share_activity WHERE {0} = ?"
                             " ORDER BY at DESC, id DESC LIMIT ?)",
                             column),
                 {key, key, keep});
}

Result<std::vector<ActivityRow>> ActivityStore::List(Transaction& tx, std::string_view share_id,
                                                     std::string_view link_id, int limit) {
  const bool share = !share_id.empty();
  auto rows = tx.Query(
      fmt::format("SELECT a.id, a.share_id, a.link_id, a.at, a.actor_id, u.name, u.email, a.ip,"
                  " a.action, a.node_id, a.path FROM share_activity a"
                  " LEFT JOIN users u ON u.id = a.actor_id"
                  " WHERE a.{} = ? ORDER BY a.at DESC, a.id DESC LIMIT ?",
                  share ? "share_id" : "link_id"),
      {share ? share_id : link_id, limit});
  if (!rows) return std::unexpected(std::move(rows.error()));
  std::vector<ActivityRow> out;
  out.reserve(rows->size());
  for (Row& r : *rows) {
    ActivityRow a;
    a.id = r.Int(0);
    a.share_id = r.IsNull(1) ? "" : r.TakeText(1);
    a.link_id = r.IsNull(2) ? "" : r.TakeText(2);
    a.at = r.Int(3);
    a.actor_id = r.OptInt(4);
    a.actor_name = r.IsNull(5) ? "" : r.TakeText(5);
    a.actor_email = r.IsNull(6) ? "" : r.TakeText(6);
    a.ip = r.TakeText(7);
    a.action = r.TakeText(8);
    a.node_id = r.TakeText(9);
    a.path = r.TakeText(10);
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace nimbus::db
