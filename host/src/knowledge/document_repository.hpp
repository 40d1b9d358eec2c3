#pragma once

// The SQL of documents (uploaded files and photos, one table told apart by kind) and of
// their chunks with embeddings (tenant schema, migrations/tenant/*_knowledge.sql). Every
// statement runs in the caller's tenant-scoped transaction unless it says otherwise.

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/pool.hpp"
#include "knowledge/chunker.hpp"

namespace sloth::knowledge {

// documents.kind
inline constexpr const char* kDocumentKind = "document";
inline constexpr const char* kPhotoKind = "photo";

struct Document {
  std::int64_t id = 0;
  std::string kind;  // document | photo
  std::string title;
  std::string format;
  std::int64_t size_bytes = 0;
  std::string status;  // pending | processing | completed | failed
  std::optional<std::string> error;
  std::int64_t chunk_count = 0;
  std::string created_at;
  std::string storage_key;
  std::optional<nlohmann::json> analysis;  // photos: the vision result
};

struct NewDocument {
  std::string kind, title, filename, format, storage_key;
  std::int64_t size_bytes = 0;
};

struct DeletedDocument {
  std::string storage_key;
  std::int64_t size_bytes = 0;
  std::vector<std::int64_t> chunk_ids;
};

// A chunk stored with its vector; ids come back in the order given.
struct EmbeddedChunk {
  const Chunk* chunk;
  const float* vector;  // `dim` floats
};

struct ChunkText {
  std::int64_t id = 0;
  std::string text;
};

struct ChunkSource {
  std::int64_t id = 0;
  std::string text;
  std::int64_t document_id = 0;
  std::string kind;
  std::string title;
  std::string label;
  int page = 0;
};

class DocumentRepository {
 public:
  std::int64_t Insert(db::Transaction& tx, const NewDocument& d);
  // `kind` empty: any kind. `lock`: FOR UPDATE, for a writer that checks, then changes it.
  std::optional<Document> Find(db::Transaction& tx, std::int64_t id, const std::string& kind = "",
                               bool lock = false);
  std::vector<Document> List(db::Transaction& tx, const std::string& kind, std::int64_t after,
                             int limit);
  std::optional<DeletedDocument> Delete(db::Transaction& tx, std::int64_t id,
                                        const std::string& kind);
  void MarkFailed(db::Transaction& tx, std::int64_t id, const std::string& error);
  void MarkCompleted(db::Transaction& tx, std::int64_t id, std::int64_t chunk_count,
                     const std::optional<nlohmann::json>& analysis = std::nullopt);
  // Of `keys`, those some document refers to.
  std::set<std::string> KeysInUse(db::Transaction& tx, const std::vector<std::string>& keys);

  // Replaces the document's chunks; returns the ids removed and the ids made (in order).
  std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> ReplaceChunks(
      db::Transaction& tx, std::int64_t document_id, const std::vector<EmbeddedChunk>& chunks,
      std::uint32_t dim, const std::string& model, const std::string& text_config);
  // Chunks another model than `model` embedded.
  std::int64_t CountStale(db::Transaction& tx, const std::string& model);
  std::vector<ChunkText> Stale(db::Transaction& tx, const std::string& model, int limit);
  // Stores a re-embedding unless the chunk changed since it was read (gone, or already of
  // `model`). Returns whether it did.
  bool Reembed(db::Transaction& tx, const ChunkText& chunk, const float* vector, std::uint32_t dim,
               const std::string& model);
  // Across schemas (no tenant scope needed): whether the tenant has chunks of another model
  // than the one it would resolve to (its choice among `offered`, else `fallback`).
  bool TenantHasStale(db::Transaction& tx, const db::TenantId& tenant,
                      const std::vector<std::string>& offered, const std::string& fallback);

  // Ids of chunks matching any word of `query`, best first (see the retriever).
  std::vector<std::int64_t> TextSearch(db::Transaction& tx, const std::string& query, int limit,
                                       const std::string& text_config,
                                       const std::string& stop_words);
  // The chunks of `ids` with their document, in no particular order; missing ids are skipped.
  std::vector<ChunkSource> Sources(db::Transaction& tx, const std::vector<std::int64_t>& ids);
  // Every vector `model` made (loading a vector index).
  void ForEachVector(
      db::Transaction& tx, const std::string& model,
      const std::function<void(std::int64_t id, const std::vector<float>& vector)>& fn);
  // The ids of every chunk `model` embedded, ascending (bringing an index up to date).
  std::vector<std::int64_t> VectorIds(db::Transaction& tx, const std::string& model);
  // The vectors `model` made of `ids` still there, in no particular order.
  void ForEachVectorOf(
      db::Transaction& tx, const std::string& model, const std::vector<std::int64_t>& ids,
      const std::function<void(std::int64_t id, const std::vector<float>& vector)>& fn);
};

// real[] in PostgreSQL's text form.
std::string RealArray(const float* v, std::uint32_t n);

}  // namespace sloth::knowledge
