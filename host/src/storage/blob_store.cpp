#include "storage/blob_store.hpp"

#include <spdlog/spdlog.h>

namespace sloth::storage {

std::shared_ptr<plugins::PluginInstance> BlobStore::Instance() {
  auto inst = instance_.Get();
  if (!inst) throw StorageError("file storage is not available");
  return inst;
}

void BlobStore::Put(const std::string& key, const std::string& data,
                    const std::string& content_type) {
  const auto r = Instance()->Put(key, data, content_type);
  if (!r.ok()) throw StorageError("storing " + key + " failed: " + r.error);
}

std::string BlobStore::Get(const std::string& key) {
  auto r = Instance()->Get(key);
  if (!r.ok()) throw StorageError("reading " + key + " failed: " + r.error);
  return std::move(r.output);
}

bool BlobStore::Remove(const std::string& key) noexcept {
  try {
    const auto r = Instance()->Remove(key);
    if (r.ok() || r.status == SLOTH_NOT_FOUND) return true;
    spdlog::warn("storage: {} not removed: {}", key, r.error);
  } catch (const std::exception& e) {
    spdlog::warn("storage: {} not removed: {}", key, e.what());
  }
  return false;
}

BlobPage BlobStore::List(const std::string& prefix, const std::string& cursor, int limit) {
  const auto r = Instance()->List(prefix, cursor, limit);
  if (!r.ok()) throw StorageError("listing " + prefix + " failed: " + r.error);
  const auto j = nlohmann::json::parse(r.output, nullptr, false);
  if (!j.is_object()) throw StorageError("the storage plugin listed no JSON object");
  BlobPage page;
  for (const auto& item : j.value("items", nlohmann::json::array())) {
    if (item.is_object() && item.value("key", nlohmann::json()).is_string())
      page.keys.push_back(item["key"].get<std::string>());
  }
  if (j.contains("next_cursor") && j["next_cursor"].is_string())
    page.next_cursor = j["next_cursor"].get<std::string>();
  return page;
}

std::unique_ptr<BlobWriter> BlobStore::Writer(const std::string& key,
                                              const std::string& content_type) {
  return std::make_unique<BlobWriter>(Instance(), key, content_type);
}

}  // namespace sloth::storage
