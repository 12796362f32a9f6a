// Checks the asset table that cmake/embed_assets.cmake generates from web/: what the server
// will serve (paths, types, ETags, cache flags) and that the bytes are exactly the files.
// SPDX-License-Identifier: AGPL-3.0-or-later

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "http/static_assets.h"
#include "util/sha256.h"

namespace nimbus::web {
namespace {

namespace fs = std::filesystem;
using http::StaticAsset;

const StaticAsset* Find(std::string_view path) {
  for (const StaticAsset& asset : EmbeddedAssets()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

// "/assets/<hash>" taken from index.html's module script, or "" if absent.
std::string AssetBase() {
  const StaticAsset* index = Find("/index.html");
  if (index == nullptr) return "";
  std::string_view body = index->body;
  constexpr std::string_view kPrefix = "src=\"/assets/";
  auto start = body.find(kPrefix);
  if (start == std::string_view::npos) return "";
  start += 5;  // Skip `src="`.
  auto end = body.find('/', start + 8);
  return std::string(body.substr(start, end - start));
}

std::string Sha256Hex(std::string_view data) { return nimbus::Sha256::HexOf(data); }

// The files of web/ that are part of the app (as the generator selects them), by relative path.
std::map<std::string, std::string> WebFiles() {
  std::map<std::string, std::string> files;
  const fs::path root = NIMBUS_WEB_DIR;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (!entry.is_regular_file()) continue;
    std::string name = entry.path().filename().string();
    if (name == "CMakeLists.txt" || name == "README.md" || name.starts_with(".")) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    files[fs::relative(entry.path(), root).generic_string()] = bytes.str();
  }
  return files;
}

TEST(EmbeddedAssets, TableIsSortedByPathWithoutDuplicates) {
  auto assets = EmbeddedAssets();
  ASSERT_FALSE(assets.empty());
  for (std::size_t i = 1; i < assets.size(); ++i) {
    EXPECT_LT(assets[i - 1].path, assets[i].path) << "at row " << i;
  }
}

TEST(EmbeddedAssets, IndexHtmlIsRevalidatedAndPointsAtTheHashedAssets) {
  const StaticAsset* index = Find("/index.html");
  ASSERT_NE(index, nullptr);
  EXPECT_FALSE(index->immutable);
  EXPECT_EQ(index->content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index->body.find("{{ASSET_BASE}}"), std::string_view::npos);
  std::string base = AssetBase();
  ASSERT_EQ(base.size(), std::string_view("/assets/").size() + 12) << base;
  EXPECT_NE(Find(base + "/js/app.js"), nullptr);
  EXPECT_NE(Find(base + "/css/app.css"), nullptr);
}

TEST(EmbeddedAssets, EveryOtherFileIsImmutableUnderTheBuildHash) {
  std::string base = AssetBase() + "/";
  for (const StaticAsset& asset : EmbeddedAssets()) {
    if (asset.path == "/index.html") continue;
    EXPECT_TRUE(asset.path.starts_with(base)) << asset.path;
    EXPECT_TRUE(asset.immutable) << asset.path;
  }
}

TEST(EmbeddedAssets, BodiesAreTheFilesOfTheWebDirectory) {
  auto files = WebFiles();
  std::string base = AssetBase() + "/";
  ASSERT_EQ(EmbeddedAssets().size(), files.size());
  for (const auto& [rel, bytes] : files) {
    if (rel == "index.html") continue;
    const StaticAsset* asset = Find(base + rel);
    ASSERT_NE(asset, nullptr) << rel;
    EXPECT_TRUE(asset->body == bytes) << rel << " differs from web/" << rel;
  }
}

TEST(EmbeddedAssets, IndexHtmlIsTheSourceWithTheAssetBaseFilledIn) {
  std::string source = WebFiles().at("index.html");
  std::string expected;
  constexpr std::string_view kPlaceholder = "{{ASSET_BASE}}";
  for (std::size_t pos = 0;;) {
    auto hit = source.find(kPlaceholder, pos);
    expected += source.substr(pos, hit - pos);
    if (hit == std::string::npos) break;
    expected += AssetBase();
    pos = hit + kPlaceholder.size();
  }
  EXPECT_EQ(Find("/index.html")->body, expected);
}

TEST(EmbeddedAssets, EtagIsTheQuotedShortSha256OfTheBody) {
  for (const StaticAsset& asset : EmbeddedAssets()) {
    EXPECT_EQ(asset.etag, "\"" + Sha256Hex(asset.body).substr(0, 16) + "\"") << asset.path;
  }
}

TEST(EmbeddedAssets, ContentTypeFollowsTheExtension) {
  const std::map<std::string, std::string_view> expected = {
      {".js", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},                 {".txt", "text/plain; charset=utf-8"},
      {".html", "text/html; charset=utf-8"},
  };
  int checked = 0;
  for (const StaticAsset& asset : EmbeddedAssets()) {
    auto it = expected.find(fs::path(asset.path).extension().string());
    if (it == expected.end()) continue;
    EXPECT_EQ(asset.content_type, it->second) << asset.path;
    ++checked;
  }
  EXPECT_GE(checked, 5);
}

}  // namespace
}  // namespace nimbus::web
