#pragma once

// The knowledge jobs. Each that calls a provider (storage, vision, embedder) is a staged
// job (jobs/worker_pool.hpp): it reads in one transaction, calls the provider with no
// connection held, and records the result with the job's completion in a second one, which
// does nothing when the document changed in between.
//   knowledge.ingest       a document: read, parse, chunk, embed, index
//   knowledge.analyze      a photo: vision labels/objects/text become one indexed chunk
//   knowledge.rebuild      re-embeds a batch of chunks another model made, then queues itself
//   knowledge.stale_scan   gives every organisation with stale chunks its rebuild (at start)
//   knowledge.cleanup      removes stored files no document refers to (weekly)

#include <cstdint>
#include <string>
#include <vector>

#include "db/pool.hpp"
#include "jobs/worker_pool.hpp"
#include "knowledge/chunker.hpp"
#include "knowledge/document_repository.hpp"
#include "knowledge/embedding_models.hpp"
#include "knowledge/index_registry.hpp"
#include "knowledge/knowledge_settings.hpp"
#include "knowledge/parsers.hpp"
#include "plugins/platform_instance.hpp"
#include "storage/blob_store.hpp"

namespace sloth::knowledge {

class Ingestion {
 public:
  Ingestion(db::Pool& pool, storage::BlobStore& blobs, EmbeddingModels& models,
            KnowledgeSettings& settings, IndexRegistry& indexes, plugins::PluginManager& plugins,
            std::string vision_plugin, ParseLimits parse_limits = {})
      : pool_(pool),
        blobs_(blobs),
        models_(models),
        settings_(settings),
        indexes_(indexes),
        vision_(plugins, std::move(vision_plugin), "knowledge-vision", "knowledge: vision"),
        parse_limits_(parse_limits) {}

  void Start();  // the vision instance, when one is configured
  void Stop();
  void Register(jobs::WorkerPool& jobs);

  void Ingest(jobs::StagedJobContext& ctx);
  void Analyze(jobs::StagedJobContext& ctx);
  void Rebuild(jobs::StagedJobContext& ctx);
  // Queues the rebuild of every organisation whose chunks another model made (the host's
  // default changed, or a model it chose is gone); returns how many.
  int ScanStale(db::Transaction& tx);
  // Removes stored files no document refers to (an upload rolled back after its file was
  // written, a delete whose file removal failed); returns how many. Storage is listed and
  // changed between short transactions.
  int CleanupOrphans();

 private:
  struct Embedded {
    std::vector<Chunk> chunks;
    std::vector<float> vectors;
    std::uint32_t dim = 0;
    std::string model;
    std::string text_config;
  };
  Embedded Embed(const std::vector<Section>& sections, const TenantSettings& settings);
  // In the recording transaction: replaces the document's chunks, keeps this host's index
  // current, and queues a rebuild when the tenant's model changed while we embedded.
  void Record(db::Transaction& tx, std::int64_t tenant, std::int64_t id, const Embedded& e);
  // The document `id` of `kind` (not yet completed) and the tenant's settings, or nullopt.
  struct Pending {
    Document doc;
    TenantSettings settings;
  };
  std::optional<Pending> ReadPending(jobs::StagedJobContext& ctx, std::int64_t id,
                                     const char* kind);
  // Records in the job's last transaction unless the document was deleted or completed by
  // an earlier run meanwhile.
  void FinishPending(jobs::StagedJobContext& ctx, std::int64_t id, const char* kind,
                     const std::function<void(db::Transaction&)>& record);

  db::Pool& pool_;
  storage::BlobStore& blobs_;
  EmbeddingModels& models_;
  KnowledgeSettings& settings_;
  IndexRegistry& indexes_;
  plugins::PlatformInstance vision_;
  ParseLimits parse_limits_;
};

}  // namespace sloth::knowledge
