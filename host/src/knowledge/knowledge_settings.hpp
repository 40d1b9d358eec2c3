#pragma once

// A tenant's vector-store settings (knowledge_settings, one row; defaults from host.yaml
// until the owner changes them): chunk size and overlap, the text-search configuration and
// the embedding model.

#include <cstdint>
#include <optional>
#include <string>

#include "db/pool.hpp"
#include "knowledge/chunker.hpp"
#include "knowledge/embedding_models.hpp"

namespace sloth::knowledge {

struct TenantSettings {
  ChunkOptions chunks;
  std::string text_config = "simple";  // a PostgreSQL text search configuration
  std::string embedding_model;         // a configured model's name
};

// What an owner asks to change; absent members stay.
struct SettingsChange {
  std::optional<std::int64_t> chunk_size;
  std::optional<std::int64_t> chunk_overlap;
  std::optional<std::string> language;  // en, uk, de, ...: stemmed where PostgreSQL can
  std::optional<std::string> embedding_model;
};

class KnowledgeSettings {
 public:
  KnowledgeSettings(const EmbeddingModels& models, ChunkOptions defaults)
      : models_(models), defaults_(defaults) {}

  TenantSettings Read(db::Transaction& tx) const;
  // Validates (errors::Error naming the field) and stores. Chunks already made keep their
  // cut until re-uploaded; a new embedding model queues the re-embedding of every chunk.
  TenantSettings Update(db::Transaction& tx, std::int64_t tenant, const SettingsChange& change);

  // Embedding with the tenant's model takes this lock shared, changing the model takes it
  // exclusively: a change waits for embeddings being recorded, so the rebuild it queues
  // sees their chunks, and a recording after it reads the new model.
  static void LockModel(db::Transaction& tx, std::int64_t tenant, bool exclusive);

  const EmbeddingModels& models() const { return models_; }

 private:
  const EmbeddingModels& models_;
  ChunkOptions defaults_;
};

// Queues the re-embedding of the tenant's chunks that another model than `model` made (a
// batch per job); returns how many there are.
std::int64_t QueueRebuild(db::Transaction& tx, std::int64_t tenant, const std::string& model);

}  // namespace sloth::knowledge
