#include "knowledge/knowledge.hpp"

#include "jobs/job_queue.hpp"

namespace sloth::knowledge {

Knowledge::Knowledge(db::Pool& pool, plugins::PluginManager& plugins, storage::BlobStore& blobs,
                     KnowledgeOptions options)
    : pool_(pool),
      options_(std::move(options)),
      models_(plugins, options_.embedder_plugin, options_.embedding_models),
      indexes_(options_.exact_search_limit),
      settings_(models_, options_.chunks),
      uploads_(blobs, indexes_, options_.max_upload_bytes),
      ingestion_(pool, blobs, models_, settings_, indexes_, plugins, options_.vision_plugin,
                 options_.parse),
      retriever_(pool, models_, settings_, indexes_) {}

void Knowledge::Start() {
  indexes_.Start(options_.database_url);
  models_.Start();
  ingestion_.Start();
  pool_.InTransaction([](db::Transaction& tx) {
    jobs::Enqueue(tx, "knowledge.stale_scan", nlohmann::json::object());
  });
}

void Knowledge::Stop() {
  indexes_.Stop();
  ingestion_.Stop();
  models_.Stop();
}

}  // namespace sloth::knowledge
