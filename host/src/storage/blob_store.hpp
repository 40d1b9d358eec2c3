#pragma once

// The platform's file storage: one instance of the configured storage plugin
// (storage.plugin, formerly knowledge.storage_plugin) shared by every concern that keeps
// bytes — uploaded documents and photos, photos clients send through a channel. Keys start
// with the tenant id ("<tenant>/<folder>/<name>"), so one tenant's files are one prefix.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "plugins/platform_instance.hpp"
#include "storage/blob_writer.hpp"

namespace sloth::storage {

struct BlobPage {
  std::vector<std::string> keys;
  std::string next_cursor;  // empty on the last page
};

class BlobStore {
 public:
  BlobStore(plugins::PluginManager& plugins, std::string plugin_id)
      : instance_(plugins, std::move(plugin_id), "storage", "storage") {}

  // Starts the plugin instance; a failure is logged and every call answers StorageError.
  void Start() { instance_.Start(); }
  void Stop() { instance_.Stop(); }

  // Each throws StorageError (errors::Code::kUnavailable) when storage fails or is absent.
  void Put(const std::string& key, const std::string& data, const std::string& content_type);
  std::string Get(const std::string& key);
  // False (with the reason logged) when the blob could not be removed; a missing blob is
  // removed already.
  bool Remove(const std::string& key) noexcept;
  BlobPage List(const std::string& prefix, const std::string& cursor, int limit);
  // A writer for a blob whose bytes arrive in parts (uploads).
  std::unique_ptr<BlobWriter> Writer(const std::string& key, const std::string& content_type);

 private:
  std::shared_ptr<plugins::PluginInstance> Instance();

  plugins::PlatformInstance instance_;
};

}  // namespace sloth::storage
