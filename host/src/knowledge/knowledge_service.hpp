#pragma once

// Documents in, answers out: uploads are stored by the storage plugin and parsed, chunked
// and embedded by a job; search fuses PostgreSQL full-text ranking with vector similarity
// (reciprocal rank fusion) over the tenant's chunks.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/listener.hpp"
#include "db/pool.hpp"
#include "jobs/worker_pool.hpp"
#include "knowledge/chunker.hpp"
#include "knowledge/vector_index.hpp"
#include "plugins/plugin_manager.hpp"

namespace sloth::knowledge {

// An embedding model organisations may choose: an embedder plugin with its settings. Its
// name is what chunks record, so vectors of different models never mix.
struct EmbeddingModel {
  std::string name;
  std::string plugin;
  nlohmann::json config = nlohmann::json::object();  // over plugins.config.<plugin>
};

struct KnowledgeOptions {
  std::string database_url;  // a direct connection for LISTEN (index freshness across hosts)
  std::string storage_plugin = "storage-local";
  // The default model's name; when embedding_models does not define it, it is a plugin id.
  std::string embedder_plugin = "local-embedder";
  std::vector<EmbeddingModel> embedding_models;
  std::string vision_plugin;  // empty: photos are stored without analysis
  std::size_t max_upload_bytes = 20u << 20;
  ChunkOptions chunks;
};

// A tenant's vector-store settings (defaults from host.yaml until the owner changes them).
struct TenantSettings {
  ChunkOptions chunks;
  std::string text_config = "simple";  // a PostgreSQL text search configuration
  std::string embedding_model;         // a configured model's name
};

struct SearchHit {
  std::int64_t chunk_id = 0;
  std::string text;
  double score = 0;
  std::int64_t document_id = 0;
  std::string kind;  // document | photo
  std::string title;
  std::string label;
  int page = 0;
};

enum class Mode { kHybrid, kVector, kText };

class KnowledgeService {
 public:
  KnowledgeService(plugins::PluginManager& plugins, KnowledgeOptions options);
  ~KnowledgeService() { Stop(); }

  void Start();  // creates the platform storage, embedder (one per model) and vision instances
  void Stop();
  void Register(jobs::WorkerPool& jobs);
  const KnowledgeOptions& options() const { return options_; }

  // What an upload may be: the formats it takes, the quota it counts against, its job.
  struct UploadKind {
    const char* kind;   // documents.kind
    const char* quota;  // usage metric, also the storage folder
    const char* job;
    int max_attempts;
    const char* default_title;
    bool photo;  // JPEG, PNG, WebP; else PDF, DOCX, XLSX, TXT, MD, CSV
  };
  static const UploadKind kDocument, kPhoto;

  struct StoredFile {
    std::string key, format, filename;
    std::uint64_t size = 0;
  };
  // An upload in three steps, so no transaction is held while the bytes arrive. First a
  // look at the quotas (402/429 when they are used up already) ...
  void CheckQuota(db::Pool& pool, std::int64_t tenant, const UploadKind& kind);
  // ... then the file, stored as it arrives: its first bytes decide its type (415 when the
  // kind does not take it), 400 when empty, 413 beyond knowledge.max_upload_bytes, 503
  // when storage fails; nothing stays stored when it throws ...
  StoredFile Receive(std::int64_t tenant, const UploadKind& kind, const std::string& filename,
                     std::istream& in);
  // ... then the quotas counted, the row (status pending) and its job, in `tx`. A file
  // whose Record failed is given to Discard.
  nlohmann::json Record(db::Transaction& tx, std::int64_t tenant, const UploadKind& kind,
                        const StoredFile& file, const std::string& title);
  void Discard(const StoredFile& file) noexcept;
  void Analyze(jobs::JobContext& ctx);
  // Re-embeds the tenant's chunks made by another model than the tenant's (after a change of
  // its choice or of the host's default), a batch per job; returns how many are stale now.
  std::int64_t QueueRebuild(db::Transaction& tx, std::int64_t tenant);
  void Rebuild(jobs::JobContext& ctx);
  // Queues a scan that gives every organisation whose chunks another model made (the
  // host's default changed, or a model it chose is gone) its rebuild job. Called at start.
  void QueueStaleScan(db::Transaction& tx);
  // The scan itself; returns how many organisations got a rebuild job.
  int ScanStale(db::Transaction& tx);
  // Removes stored files no document refers to (an upload rolled back after its file was
  // written, a delete whose file removal failed). Returns how many were removed.
  int CleanupOrphans(db::Transaction& tx);
  // Deletes the blob, the chunks and the row. False when there is no such document.
  bool Delete(db::Transaction& tx, std::int64_t tenant, std::int64_t id, const std::string& kind);
  void Ingest(jobs::JobContext& ctx);

  std::vector<SearchHit> Search(db::Transaction& tx, std::int64_t tenant, const std::string& query,
                                int top_k, Mode mode = Mode::kHybrid);
  VectorIndexes& indexes() { return indexes_; }
  std::vector<float> Embed(const std::string& model, const std::vector<std::string>& texts);
  TenantSettings Settings(db::Transaction& tx);
  // Validates and stores them; chunks already made keep their cut until re-uploaded. A new
  // embedding model queues the re-embedding of every chunk (`tenant`'s rebuild job).
  TenantSettings UpdateSettings(db::Transaction& tx, std::int64_t tenant,
                                const nlohmann::json& body);
  // The models organisations may choose, the default first.
  const std::vector<std::string>& ModelNames() const { return model_names_; }
  // Puts bytes into the tenant's storage (keys start with the tenant id); throws on failure.
  void StoreBlob(const std::string& key, const std::string& data);

 private:
  std::shared_ptr<plugins::PluginInstance> Storage();
  std::shared_ptr<plugins::PluginInstance> Embedder(const std::string& model);
  // Chunks, embeds and indexes `sections` as document `id` (replacing earlier chunks).
  int IndexSections(db::Transaction& tx, std::int64_t tenant, std::int64_t id,
                    const std::vector<Section>& sections);

  plugins::PluginManager& plugins_;
  KnowledgeOptions options_;  // embedding_models: every offered model, the default first
  std::vector<std::string> model_names_;
  std::mutex mu_;
  std::shared_ptr<plugins::PluginInstance> storage_, vision_;
  std::map<std::string, std::shared_ptr<plugins::PluginInstance>> embedders_;  // by model
  VectorIndexes indexes_;
  std::string host_id_;  // tells this host's own notifications apart
  std::unique_ptr<db::Listener> listener_;
};

}  // namespace sloth::knowledge
