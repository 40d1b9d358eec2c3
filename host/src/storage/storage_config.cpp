#include "storage/storage_config.hpp"

namespace sloth::storage {

config::Field StorageConfig::Schema() {
  using namespace config;
  // No default in the schema: an unset plugin lets the deprecated knowledge.storage_plugin
  // speak before the default does.
  return Section("storage",
                 {Str("plugin", std::nullopt,
                      "plugin storing uploaded files and inbound photos (default storage-local)")},
                 "the platform's file storage");
}

StorageConfig StorageConfig::Read(const YAML::Node& section, const std::string&) {
  StorageConfig c;
  if (section && section["plugin"] && !section["plugin"].IsNull())
    c.plugin = section["plugin"].as<std::string>();
  return c;
}

}  // namespace sloth::storage
