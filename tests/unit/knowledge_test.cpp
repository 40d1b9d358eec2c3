// Chunking and the offline embedder: pure functions.

#include <unistd.h>
#include <cmath>
#include <filesystem>

#include <gtest/gtest.h>

#include "blob_store.hpp"
#include "hashed_embedder.hpp"
#include "knowledge/chunker.hpp"

namespace sloth::knowledge {
namespace {

float Dot(const std::vector<float>& a, const std::vector<float>& b) {
  float s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

TEST(Chunker, SizesOverlapAndBoundaries) {
  std::string text;
  for (int i = 0; i < 60; ++i) text += "Sentence " + std::to_string(i) + " about gel nails. ";
  const auto chunks = ChunkSections({{text, "page 2", 2}}, {300, 60});
  ASSERT_GT(chunks.size(), 3u);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    EXPECT_LE(chunks[i].text.size(), 300u);
    EXPECT_EQ(chunks[i].page, 2);
    EXPECT_EQ(chunks[i].position, static_cast<int>(i));
    if (i + 1 < chunks.size()) {
      EXPECT_EQ(chunks[i].text.back(), '.');  // a sentence end
    }
  }
  // Consecutive chunks share text (the overlap).
  const std::string tail = chunks[0].text.substr(chunks[0].text.size() - 20);
  EXPECT_NE(chunks[1].text.find(tail.substr(tail.find(' ') + 1)), std::string::npos);
}

TEST(Chunker, NeverSplitsAUtf8Sequence) {
  std::string uk;
  for (int i = 0; i < 3000; ++i) uk += "ї";  // no boundaries at all
  const auto chunks = ChunkSections({{uk, "", 0}}, {1000, 200});
  ASSERT_GE(chunks.size(), 3u);
  for (const auto& c : chunks) {
    EXPECT_TRUE(ValidUtf8(c.text));
    EXPECT_EQ(c.text.size() % 2, 0u);
  }
  EXPECT_FALSE(ValidUtf8("\xC3"));
  EXPECT_FALSE(ValidUtf8("\xC0\xAF"));      // overlong
  EXPECT_FALSE(ValidUtf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(ValidUtf8("caf\xE9"));       // Latin-1, not UTF-8
  EXPECT_TRUE(ValidUtf8("café і ґ 💅"));
}

TEST(HashedEmbedder, NormalisedDeterministicAndSemanticEnough) {
  local_embedder::HashedEmbedder e(384);
  const auto a = e.Embed("How much does a gel manicure cost?");
  const auto b = e.Embed("Gel manicure price");
  const auto c = e.Embed("Cancellation policy: 24 hours notice");
  EXPECT_NEAR(Dot(a, a), 1.0f, 1e-4);
  EXPECT_EQ(a, e.Embed("How much does a gel manicure cost?"));
  EXPECT_GT(Dot(a, b), Dot(a, c));
  // Ukrainian inflections meet on character n-grams.
  const auto uk1 = e.Embed("Скільки коштує манікюр з покриттям?");
  const auto uk2 = e.Embed("Манікюр з покриттям гель-лаком — 600 грн");
  const auto uk3 = e.Embed("Скасування запису менш ніж за добу");
  EXPECT_GT(Dot(uk1, uk2), Dot(uk1, uk3));
  EXPECT_EQ(local_embedder::HashedEmbedder::Words("МАНІКЮР, Їжак! п'ять"),
            (std::vector<std::string>{"манікюр", "їжак", "пять"}));
  const auto empty = e.Embed("");
  EXPECT_EQ(Dot(empty, empty), 0.0f);
}

TEST(BlobStore, KeysCannotLeaveTheRoot) {
  const auto root =
      std::filesystem::temp_directory_path() / ("sloth-blobs-" + std::to_string(getpid()));
  storage_local::BlobStore store(root);
  for (const char* bad : {"../x", "a/../../b", "/etc/passwd", "a//b", "a/./b", "a\\b", "..", "a/..",
                          "%2e%2e/x", "", "a/b c"}) {
    EXPECT_FALSE(storage_local::BlobStore::ValidKey(bad)) << bad;
    EXPECT_THROW(store.Put(bad, "x"), storage_local::BadKey) << bad;
  }
  EXPECT_EQ(store.Put("7/documents/12.pdf", "hello"), 5u);
  EXPECT_EQ(store.Get("7/documents/12.pdf"), "hello");
  store.Put("7/photos/1.jpg", "jpg");
  store.Put("8/documents/1.txt", "other tenant");
  const auto list = store.List("7/", "", 10);
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].first, "7/documents/12.pdf");
  EXPECT_TRUE(store.Remove("7/documents/12.pdf"));
  EXPECT_FALSE(store.Get("7/documents/12.pdf"));
  EXPECT_FALSE(store.Remove("7/documents/12.pdf"));
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace sloth::knowledge
