#pragma once

// Blobs as files: key "a/b/c" is <root>/a/b/c. Keys are checked before any path is built —
// [A-Za-z0-9._-] segments joined by '/', no empty, '.' or '..' segment — so no key can
// leave the root (path traversal is impossible by construction, and checked again on the
// resolved path). Writes go to a temporary file renamed into place: a reader never sees
// half a blob.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace storage_local {

class BadKey : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class BlobStore {
 public:
  explicit BlobStore(std::filesystem::path root);

  std::uint64_t Put(std::string_view key, std::string_view data);
  std::optional<std::string> Get(std::string_view key) const;
  bool Remove(std::string_view key);
  // Keys under `prefix`, sorted, after `cursor`, at most `limit`.
  std::vector<std::pair<std::string, std::uint64_t>> List(std::string_view prefix,
                                                          std::string_view cursor,
                                                          std::uint32_t limit) const;

  static bool ValidKey(std::string_view key);

 private:
  std::filesystem::path PathOf(std::string_view key) const;
  std::filesystem::path root_;
};

}  // namespace storage_local
