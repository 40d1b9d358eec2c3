// storage-local: keys confined to the root, streamed writes visible only at commit.

#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "blob_store.hpp"

namespace {

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

TEST(BlobStore, StreamedWritesAppearWholeOrNotAtAll) {
  const auto root =
      std::filesystem::temp_directory_path() / ("sloth-stream-" + std::to_string(getpid()));
  storage_local::BlobStore store(root);
  const auto id = store.Begin("3/documents/a.txt");
  store.Append(id, "hello ");
  EXPECT_FALSE(store.Get("3/documents/a.txt"));  // nothing visible before the commit
  store.Append(id, "world");
  const auto done = store.Commit(id);
  EXPECT_EQ(done.key, "3/documents/a.txt");
  EXPECT_EQ(done.size, 11u);
  EXPECT_EQ(store.Get("3/documents/a.txt"), "hello world");
  EXPECT_THROW(store.Append(id, "more"), storage_local::BadKey);  // finished uploads are gone

  const auto cut = store.Begin("3/documents/b.txt");
  store.Append(cut, "half");
  store.Abort(cut);
  EXPECT_FALSE(store.Get("3/documents/b.txt"));
  EXPECT_EQ(store.List("3/", "", 10).size(), 1u);
  std::size_t files = 0;  // no temporary file left behind
  for (const auto& e : std::filesystem::recursive_directory_iterator(root))
    files += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(files, 1u);
  EXPECT_THROW(store.Begin("../escape"), storage_local::BadKey);
  std::filesystem::remove_all(root);
}

}  // namespace
