#include "blob_store.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>

namespace storage_local {

namespace fs = std::filesystem;

BlobStore::BlobStore(fs::path root) : root_(std::move(root)) {
  fs::create_directories(root_);
  root_ = fs::canonical(root_);
}

bool BlobStore::ValidKey(std::string_view key) {
  if (key.empty() || key.size() > 512) return false;
  std::size_t start = 0;
  while (start <= key.size()) {
    const auto slash = key.find('/', start);
    const auto seg =
        key.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (seg.empty() || seg == "." || seg == ".." || seg.size() > 128) return false;
    for (char c : seg) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
      if (!ok) return false;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

fs::path BlobStore::PathOf(std::string_view key) const {
  if (!ValidKey(key)) throw BadKey("invalid storage key");
  fs::path p = (root_ / fs::path(std::string(key))).lexically_normal();
  // Belt and braces: the normalised path must still be under the root.
  const auto rel = p.lexically_relative(root_);
  if (rel.empty() || *rel.begin() == "..") throw BadKey("invalid storage key");
  return p;
}

std::uint64_t BlobStore::Put(std::string_view key, std::string_view data) {
  const fs::path p = PathOf(key);
  fs::create_directories(p.parent_path());
  std::random_device rd;
  const fs::path tmp = p.parent_path() / (".tmp-" + std::to_string(rd()) + std::to_string(rd()));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create a blob file");
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) {
      ::close(fd);
      fs::remove(tmp);
      throw std::runtime_error("cannot write a blob (disk full?)");
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) {
    fs::remove(tmp);
    throw std::runtime_error("cannot flush a blob to disk");
  }
  fs::rename(tmp, p);
  return data.size();
}

std::optional<std::string> BlobStore::Get(std::string_view key) const {
  std::ifstream in(PathOf(key), std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool BlobStore::Remove(std::string_view key) {
  std::error_code ec;
  return fs::remove(PathOf(key), ec);
}

std::vector<std::pair<std::string, std::uint64_t>> BlobStore::List(std::string_view prefix,
                                                                   std::string_view cursor,
                                                                   std::uint32_t limit) const {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  fs::path dir = root_;
  if (!prefix.empty()) {
    std::string_view d = prefix;
    if (d.back() == '/') d.remove_suffix(1);
    dir = PathOf(d);
  }
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return out;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec || !it->is_regular_file()) continue;
    const std::string name = it->path().filename().string();
    if (name.rfind(".tmp-", 0) == 0) continue;
    const std::string key = it->path().lexically_relative(root_).string();
    if (key > cursor) out.emplace_back(key, it->file_size());
  }
  std::sort(out.begin(), out.end());
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace storage_local
