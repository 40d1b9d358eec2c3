#pragma once

// The knowledge concern as one component: documents and photos in (Uploads), turned into
// embedded chunks by jobs (Ingestion), found again (Retriever), per-tenant settings, the
// embedding models and the vector indexes. Built from the `knowledge` config section and
// the storage component; the parts are reachable for the routes, the agent and tests.

#include <memory>
#include <string>
#include <vector>

#include "db/pool.hpp"
#include "jobs/worker_pool.hpp"
#include "knowledge/embedding_models.hpp"
#include "knowledge/index_registry.hpp"
#include "knowledge/ingestion.hpp"
#include "knowledge/knowledge_options.hpp"
#include "knowledge/knowledge_settings.hpp"
#include "knowledge/retriever.hpp"
#include "knowledge/uploads.hpp"
#include "storage/blob_store.hpp"

namespace sloth::knowledge {

class Knowledge {
 public:
  Knowledge(db::Pool& pool, plugins::PluginManager& plugins, storage::BlobStore& blobs,
            KnowledgeOptions options);

  // Embedder and vision instances, the LISTEN connection, and a knowledge.stale_scan job
  // (a change of the host's default model re-embeds every organisation by itself).
  void Start();
  void Stop();
  void Register(jobs::WorkerPool& jobs) { ingestion_.Register(jobs); }

  EmbeddingModels& models() { return models_; }
  VectorIndexes& indexes() { return indexes_.indexes(); }
  KnowledgeSettings& settings() { return settings_; }
  Uploads& uploads() { return uploads_; }
  Ingestion& ingestion() { return ingestion_; }
  Retriever& retriever() { return retriever_; }

 private:
  db::Pool& pool_;
  KnowledgeOptions options_;
  EmbeddingModels models_;
  IndexRegistry indexes_;
  KnowledgeSettings settings_;
  Uploads uploads_;
  Ingestion ingestion_;
  Retriever retriever_;
};

}  // namespace sloth::knowledge
