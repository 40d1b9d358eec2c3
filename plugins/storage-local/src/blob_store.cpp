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

int BlobStore::CreateTemp(const fs::path& target, fs::path& tmp) {
  fs::create_directories(target.parent_path());
  std::random_device rd;
  tmp = target.parent_path() / (".tmp-" + std::to_string(rd()) + std::to_string(rd()));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create a blob file");
  return fd;
}

void BlobStore::WriteAll(int fd, std::string_view data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n <= 0) throw std::runtime_error("cannot write a blob (disk full?)");
    done += static_cast<std::size_t>(n);
  }
}

std::uint64_t BlobStore::Put(std::string_view key, std::string_view data) {
  const std::string id = Begin(key);
  try {
    Append(id, data);
  } catch (...) {
    Abort(id);
    throw;
  }
  return Commit(id).size;
}

std::string BlobStore::Begin(std::string_view key) {
  Upload u;
  u.target = PathOf(key);
  u.key = std::string(key);
  u.fd = CreateTemp(u.target, u.tmp);
  u.started = std::chrono::steady_clock::now();
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string id;
  for (int i = 0; i < 32; ++i) id += kHex[rd() & 15];
  std::vector<Upload> expired;
  {
    std::lock_guard lock(mu_);
    // Uploads a host began and never finished (it died): discarded after a day.
    for (auto it = uploads_.begin(); it != uploads_.end();) {
      if (u.started - it->second.started > std::chrono::hours(24)) {
        expired.push_back(it->second);
        it = uploads_.erase(it);
      } else {
        ++it;
      }
    }
    uploads_.emplace(id, std::move(u));
  }
  for (const auto& e : expired) {
    ::close(e.fd);
    std::error_code ec;
    fs::remove(e.tmp, ec);
  }
  return id;
}

BlobStore::Upload BlobStore::Take(std::string_view upload_id) {
  std::lock_guard lock(mu_);
  const auto it = uploads_.find(upload_id);
  if (it == uploads_.end()) throw BadKey("no such upload");
  Upload u = std::move(it->second);
  uploads_.erase(it);
  return u;
}

void BlobStore::Append(std::string_view upload_id, std::string_view data) {
  // Taken out while writing, so parts of one upload cannot interleave; put back after.
  Upload u = Take(upload_id);
  try {
    WriteAll(u.fd, data);
  } catch (...) {
    ::close(u.fd);
    std::error_code ec;
    fs::remove(u.tmp, ec);
    throw;
  }
  u.size += data.size();
  std::lock_guard lock(mu_);
  uploads_.emplace(std::string(upload_id), std::move(u));
}

BlobStore::Committed BlobStore::Commit(std::string_view upload_id) {
  Upload u = Take(upload_id);
  const bool synced = ::fsync(u.fd) == 0;
  ::close(u.fd);
  std::error_code ec;
  if (!synced) {
    fs::remove(u.tmp, ec);
    throw std::runtime_error("cannot flush a blob to disk");
  }
  fs::rename(u.tmp, u.target);
  return {u.key, u.size};
}

void BlobStore::Abort(std::string_view upload_id) {
  Upload u = Take(upload_id);
  ::close(u.fd);
  std::error_code ec;
  fs::remove(u.tmp, ec);
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
    if (name.rfind(".tmp-", 0) == 0) {
      // An unfinished write; one older than a day belongs to a host that died mid-upload.
      const auto age = fs::file_time_type::clock::now() - it->last_write_time(ec);
      if (!ec && age > std::chrono::hours(24)) fs::remove(it->path(), ec);
      continue;
    }
    const std::string key = it->path().lexically_relative(root_).string();
    if (key > cursor) out.emplace_back(key, it->file_size());
  }
  std::sort(out.begin(), out.end());
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace storage_local
