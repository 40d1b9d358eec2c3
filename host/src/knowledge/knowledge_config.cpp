#include "knowledge/knowledge_config.hpp"

#include "schema/yaml_json.hpp"

namespace sloth::knowledge {

config::Field KnowledgeConfig::Schema() {
  using namespace config;
  Field plugin = Str("plugin", std::nullopt, "embedder plugin id");
  plugin.required = true;
  Field models = Open("embedding_models",
                      "name -> {plugin, config}: the embedding models organisations may choose");
  models.children = {plugin, Open("config", "settings over plugins.config.<plugin>")};
  Field storage = Str("storage_plugin", std::nullopt, "deprecated: use storage.plugin");
  return config::Section(
      "knowledge",
      {Int("max_upload_bytes", 20 << 20, 1024, std::int64_t{1} << 31, "largest upload"), storage,
       Str("embedder_plugin", "local-embedder",
           "the embedding model of organisations that chose none: a name from "
           "embedding_models, else a plugin id"),
       models, Str("vision_plugin", "", "plugin analysing photos (e.g. vision); empty: none"),
       Int("max_text_bytes", 8 << 20, 4096, std::int64_t{1} << 30,
           "text extracted from one document, at most"),
       Int("max_part_text_bytes", 2 << 20, 1024, std::int64_t{1} << 30,
           "text extracted from one page, sheet or part, at most"),
       Int("max_pdf_pages", 2000, 1, 100000, "pages of a PDF that are read, at most"),
       Int("parse_seconds", 60, 1, 3600, "time one document's text extraction may take"),
       Int("chunk_size", 1000, 100, 20000, "characters per chunk"),
       Int("chunk_overlap", 200, 0, 5000, "characters shared by neighbouring chunks"),
       Int("exact_search_limit", static_cast<std::int64_t>(kExactLimit), 100, 1000000,
           "vectors up to which an organisation's index is searched exactly; past it a graph "
           "is built (in the background) and searched")},
      "documents and retrieval");
}

KnowledgeConfig KnowledgeConfig::Read(const YAML::Node& kn, const std::string& file) {
  KnowledgeConfig c;
  c.max_upload_bytes = kn["max_upload_bytes"].as<std::int64_t>();
  if (kn["storage_plugin"] && !kn["storage_plugin"].IsNull())
    c.storage_plugin = kn["storage_plugin"].as<std::string>();
  c.embedder_plugin = kn["embedder_plugin"].as<std::string>();
  c.vision_plugin = kn["vision_plugin"].as<std::string>();
  for (const auto& kv : kn["embedding_models"]) {
    const auto model = kv.first.as<std::string>();
    // Chunks record it and instance ids carry it: keep it to a plain token.
    if (model.empty() || model.size() > 64 ||
        model.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789._-") != std::string::npos) {
      throw config::ConfigError(file + ": key 'knowledge.embedding_models." + model +
                                "': a model name is 1-64 of a-z 0-9 . _ -");
    }
    c.embedding_models.push_back(
        {model, kv.second["plugin"].as<std::string>(), kv.second["config"]});
  }
  c.parse.max_text_bytes = kn["max_text_bytes"].as<std::size_t>();
  c.parse.max_part_text_bytes = kn["max_part_text_bytes"].as<std::size_t>();
  c.parse.max_pdf_pages = kn["max_pdf_pages"].as<int>();
  c.parse.time_budget = std::chrono::seconds(kn["parse_seconds"].as<int>());
  c.chunk_size = kn["chunk_size"].as<std::size_t>();
  c.chunk_overlap = kn["chunk_overlap"].as<std::size_t>();
  c.exact_search_limit = kn["exact_search_limit"].as<std::size_t>();
  return c;
}

KnowledgeOptions KnowledgeConfig::Options(const std::string& database_url) const {
  KnowledgeOptions o;
  o.database_url = database_url;
  o.max_upload_bytes = static_cast<std::size_t>(max_upload_bytes);
  o.embedder_plugin = embedder_plugin;
  for (const auto& m : embedding_models) {
    EmbeddingModel model{m.name, m.plugin, config::YamlToJson(m.config)};
    if (!model.config.is_object()) model.config = nlohmann::json::object();
    o.embedding_models.push_back(std::move(model));
  }
  o.vision_plugin = vision_plugin;
  o.chunks = {chunk_size, chunk_overlap};
  o.exact_search_limit = exact_search_limit;
  o.parse = parse;
  return o;
}

}  // namespace sloth::knowledge
