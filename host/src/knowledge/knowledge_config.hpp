#pragma once

// The `knowledge` section of host.yaml: its schema, its typed form and the component
// options made from it, declared here beside the concern that reads it.

#include <cstdint>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "knowledge/knowledge_options.hpp"
#include "schema/schema.hpp"

namespace sloth::knowledge {

struct EmbeddingModelConfig {
  std::string name;  // what organisations choose and chunks record
  std::string plugin;
  YAML::Node config;  // over plugins.config.<plugin>
};

struct KnowledgeConfig {
  std::int64_t max_upload_bytes = 20 << 20;
  std::string embedder_plugin = "local-embedder";  // the default model's name
  std::vector<EmbeddingModelConfig> embedding_models;
  std::string vision_plugin;
  ParseLimits parse;
  std::size_t chunk_size = 1000;
  std::size_t chunk_overlap = 200;
  std::size_t exact_search_limit = kExactLimit;
  // Deprecated: storage.plugin; honoured (with a warning) when storage.plugin is unset.
  std::string storage_plugin;

  static config::Field Schema();
  // `section`: the resolved (validated, defaulted) section; `file` names the config file
  // in errors (config::ConfigError).
  static KnowledgeConfig Read(const YAML::Node& section, const std::string& file);
  // The component's options; `database_url` is the direct connection for LISTEN.
  KnowledgeOptions Options(const std::string& database_url) const;
};

}  // namespace sloth::knowledge
