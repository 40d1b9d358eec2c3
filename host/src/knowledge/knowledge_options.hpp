#pragma once

// What the knowledge component is built from (knowledge_config.cpp makes it from host.yaml).

#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "knowledge/chunker.hpp"
#include "knowledge/parsers.hpp"

namespace sloth::knowledge {

// An embedding model organisations may choose: an embedder plugin with its settings. Its
// name is what chunks record, so vectors of different models never mix.
struct EmbeddingModel {
  std::string name;
  std::string plugin;
  nlohmann::json config = nlohmann::json::object();  // over plugins.config.<plugin>
};

// Up to this many vectors an index is a flat array searched exactly: a scan is then as fast
// as the graph (about a millisecond at dimension 384) and never misses. The default of
// knowledge.exact_search_limit. (Here, not in vector_index.hpp: configuration is read
// without the database headers, e.g. by the fuzz targets.)
inline constexpr std::size_t kExactLimit = 10000;

struct KnowledgeOptions {
  std::string database_url;  // a direct connection for LISTEN (index freshness across hosts)
  // The default model's name; when embedding_models does not define it, it is a plugin id.
  std::string embedder_plugin = "local-embedder";
  std::vector<EmbeddingModel> embedding_models;
  std::string vision_plugin;  // empty: photos are stored without analysis
  std::size_t max_upload_bytes = 20u << 20;
  ChunkOptions chunks;
  std::size_t exact_search_limit = kExactLimit;  // an index past it is searched by its graph
  ParseLimits parse;                             // what extracting one document's text may cost
};

}  // namespace sloth::knowledge
