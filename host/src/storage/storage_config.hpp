#pragma once

// The `storage` section of host.yaml: which plugin keeps the platform's files.

#include <string>

#include <yaml-cpp/yaml.h>

#include "schema/schema.hpp"

namespace sloth::storage {

struct StorageConfig {
  std::string plugin = "storage-local";

  static config::Field Schema();
  static StorageConfig Read(const YAML::Node& section, const std::string& file);
};

}  // namespace sloth::storage
