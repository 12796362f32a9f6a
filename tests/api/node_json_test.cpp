// SPDX-License-Identifier: AGPL-3.0-or-later
// Unit tests of the children page's JSON text: the hand-written writer gives exactly the bytes
// Boost.JSON gives for PageJson(NodeJson...), so a client sees the same page either way.
#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "api/file_handlers.h"

namespace nimbus::api {
namespace {

using core::files::ChildPage;
using core::files::Node;
using core::files::NodeType;

std::string ViaBoost(const ChildPage& page, const core::User& owner) {
  boost::json::array items;
  for (const Node& n : page.items) items.push_back(NodeJson(n, owner));
  return boost::json::serialize(PageJson(std::move(items), page.next_cursor));
}

Node MakeNode(std::string id, std::string name, NodeType type, std::string path) {
  Node n;
  n.id = std::move(id);
  n.parent_id = "PARENTidPARENTidPARENT";
  n.name = std::move(name);
  n.type = type;
  n.path = std::move(path);
  n.created_at = 1795620000123;
  n.modified_at = -1;
  n.version = 7;
  if (type == NodeType::kFile) {
    n.size = 123456789012;
    n.sha256 = "53b6c71f8065775a16c57382ae834066c2ec863c070d2ccf3090f8a9a08ef0f2";
  }
  return n;
}

core::User Owner() {
  core::User u;
  u.id = 9149816885216284593;
  u.name = "Zoë \"Q\" O'Neil\\";
  u.email = "zoe+x@example.com";
  return u;
}

TEST(NodePageJsonTextTest, SameBytesAsBoostJson) {
  ChildPage page;
  page.items.push_back(
      MakeNode("folderIdfolderIdfolder", "Ordner ü", NodeType::kFolder, "/a/Ordner ü"));
  page.items.push_back(MakeNode("fileIdfileIdfileIdfile", "r\u00e9sum\u00e9 \"1\" \\ 100% #.txt",
                                NodeType::kFile, "/a/r\u00e9sum\u00e9 \"1\" \\ 100% #.txt"));
  // Characters no valid name has, but the writer must still escape them as Boost.JSON does.
  std::string odd = "ctl";
  for (int c = 0; c < 0x20; ++c) odd += static_cast<char>(c);
  odd += "\x7f/\xf0\x9f\x98\x80";
  page.items.push_back(MakeNode("oddIdoddIdoddIdoddIdod", odd, NodeType::kFile, "/" + odd));
  Node empty_file = MakeNode("emptyIdemptyIdemptyIde", "empty", NodeType::kFile, "/a/empty");
  empty_file.sha256.clear();  // The etag falls back to the id.
  page.items.push_back(empty_file);
  Node root = MakeNode("rootIdrootIdrootIdroot", "", NodeType::kFolder, "/");
  root.parent_id.clear();  // parent_id: null.
  page.items.push_back(root);
  page.next_cursor = "bmFmZm9vCmJhcg";
  EXPECT_EQ(NodePageJsonText(page, Owner()), ViaBoost(page, Owner()));
  page.next_cursor.reset();
  EXPECT_EQ(NodePageJsonText(page, Owner()), ViaBoost(page, Owner()));
}

// Every position of a 20-byte name (the writer checks 8 bytes at a time, then byte by byte).
TEST(NodePageJsonTextTest, EscapesAtEveryPosition) {
  ChildPage page;
  for (std::size_t pos = 0; pos < 20; ++pos) {
    for (char c : {'\x01', '"', '\\', '\x1f', ' ', '!', '[', ']', '\x7f', '\xc3'}) {
      std::string name(20, 'a');
      name[pos] = c;
      page.items.push_back(MakeNode("id", name, NodeType::kFile, "/" + name));
    }
  }
  EXPECT_EQ(NodePageJsonText(page, Owner()), ViaBoost(page, Owner()));
}

TEST(NodePageJsonTextTest, EmptyPage) {
  ChildPage page;
  EXPECT_EQ(NodePageJsonText(page, Owner()), R"({"items":[],"next_cursor":null})");
  EXPECT_EQ(NodePageJsonText(page, Owner()), ViaBoost(page, Owner()));
}

}  // namespace
}  // namespace nimbus::api
