#pragma once

// The one search path over a tenant's knowledge (the search route, the agent): PostgreSQL
// full-text ranking fused with vector similarity by reciprocal rank fusion. The query is
// embedded with no transaction open; the searches then run in one short transaction.

#include <cstdint>
#include <string>
#include <vector>

#include "db/pool.hpp"
#include "knowledge/embedding_models.hpp"
#include "knowledge/index_registry.hpp"
#include "knowledge/knowledge_settings.hpp"

namespace sloth::knowledge {

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

class Retriever {
 public:
  Retriever(db::Pool& pool, EmbeddingModels& models, KnowledgeSettings& settings,
            IndexRegistry& indexes)
      : pool_(pool), models_(models), settings_(settings), indexes_(indexes) {}

  // The best `top_k` chunks of the tenant's knowledge for `query`, best first.
  std::vector<SearchHit> Search(std::int64_t tenant, const std::string& query, int top_k,
                                Mode mode = Mode::kHybrid);

 private:
  db::Pool& pool_;
  EmbeddingModels& models_;
  KnowledgeSettings& settings_;
  IndexRegistry& indexes_;
};

}  // namespace sloth::knowledge
