#pragma once

// Blobs as files: key "a/b/c" is <root>/a/b/c. Keys are checked before any path is built —
// [A-Za-z0-9._-] segments joined by '/', no empty, '.' or '..' segment — so no key can
// leave the root (path traversal is impossible by construction, and checked again on the
// resolved path). Writes go to a temporary file renamed into place: a reader never sees
// half a blob. Streamed writes (Begin/Append/Commit) use the same temporary file, so an
// upload cut off halfway leaves no blob; temporary files older than a day (a crash's
// leftovers) are removed by the next List walking past them.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
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

  // Streamed writes: Begin returns an upload id; the blob appears at Commit.
  struct Committed {
    std::string key;
    std::uint64_t size = 0;
  };
  std::string Begin(std::string_view key);
  void Append(std::string_view upload_id, std::string_view data);
  Committed Commit(std::string_view upload_id);
  void Abort(std::string_view upload_id);

  static bool ValidKey(std::string_view key);

 private:
  struct Upload {
    int fd = -1;
    std::string key;
    std::filesystem::path tmp, target;
    std::uint64_t size = 0;
    std::chrono::steady_clock::time_point started;
  };
  std::filesystem::path PathOf(std::string_view key) const;
  // A new temporary file next to `target`, opened for writing.
  static int CreateTemp(const std::filesystem::path& target, std::filesystem::path& tmp);
  static void WriteAll(int fd, std::string_view data);
  Upload Take(std::string_view upload_id);

  std::filesystem::path root_;
  std::mutex mu_;
  std::map<std::string, Upload, std::less<>> uploads_;
};

}  // namespace storage_local
