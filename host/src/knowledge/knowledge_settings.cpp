#include "knowledge/knowledge_settings.hpp"

#include <map>

#include "errors/error.hpp"
#include "jobs/job_queue.hpp"
#include "knowledge/document_repository.hpp"

namespace sloth::knowledge {

void KnowledgeSettings::LockModel(db::Transaction& tx, std::int64_t tenant, bool exclusive) {
  tx.Exec(std::string("SELECT ") +
              (exclusive ? "pg_advisory_xact_lock" : "pg_advisory_xact_lock_shared") +
              "(hashtext('sloth.embedding_model'), $1::int)",
          static_cast<std::int32_t>(tenant));
}

TenantSettings KnowledgeSettings::Read(db::Transaction& tx) const {
  TenantSettings t;
  t.chunks = defaults_;
  t.embedding_model = models_.Default();
  auto r = tx.Exec(
      "SELECT chunk_size, chunk_overlap, text_config, coalesce(embedding_model, '') AS "
      "embedding_model FROM knowledge_settings");
  if (!r.Empty()) {
    const auto row = r.At(0);
    t.chunks = {static_cast<std::size_t>(row.Int("chunk_size")),
                static_cast<std::size_t>(row.Int("chunk_overlap"))};
    t.text_config = row.Text("text_config");
    // A choice the host no longer offers falls back to the default (and a rebuild).
    if (models_.Offers(row.Text("embedding_model")))
      t.embedding_model = row.Text("embedding_model");
  }
  return t;
}

TenantSettings KnowledgeSettings::Update(db::Transaction& tx, std::int64_t tenant,
                                         const SettingsChange& change) {
  if (change.embedding_model) LockModel(tx, tenant, true);
  TenantSettings t = Read(tx);
  const std::string model_before = t.embedding_model;
  if (change.embedding_model) {
    if (!models_.Offers(*change.embedding_model)) {
      std::string list;
      for (const auto& n : models_.Names()) list += (list.empty() ? "" : ", ") + n;
      throw errors::Error::InvalidArgument("embedding_model must be one of: " + list,
                                           "embedding_model");
    }
    t.embedding_model = *change.embedding_model;
  }
  if (change.chunk_size) {
    if (*change.chunk_size < 100 || *change.chunk_size > 20000)
      throw errors::Error::InvalidArgument("chunk_size must be 100..20000", "chunk_size");
    t.chunks.size = static_cast<std::size_t>(*change.chunk_size);
  }
  if (change.chunk_overlap) {
    if (*change.chunk_overlap < 0)
      throw errors::Error::InvalidArgument("chunk_overlap must be >= 0", "chunk_overlap");
    t.chunks.overlap = static_cast<std::size_t>(*change.chunk_overlap);
  }
  if (t.chunks.overlap * 2 > t.chunks.size) {
    throw errors::Error::InvalidArgument("chunk_overlap must be at most half of chunk_size",
                                         "chunk_overlap");
  }
  if (change.language) {
    // A language PostgreSQL stems (english, german, ...) where it has one, else 'simple'.
    static const std::map<std::string, std::string> names = {
        {"en", "english"}, {"uk", "ukrainian"}, {"de", "german"}, {"fr", "french"},
        {"es", "spanish"}, {"it", "italian"},   {"pl", "polish"}, {"ru", "russian"}};
    const auto it = names.find(*change.language);
    const std::string cfg = it == names.end() ? "simple" : it->second;
    t.text_config = tx.Exec(
                          "SELECT coalesce((SELECT cfgname::text FROM pg_ts_config WHERE cfgname = "
                          "$1), 'simple')",
                          cfg)
                        .Text(0, 0);
  }
  tx.Exec(
      "INSERT INTO knowledge_settings (id, chunk_size, chunk_overlap, text_config, "
      "embedding_model) VALUES (1, $1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET chunk_size = "
      "$1, chunk_overlap = $2, text_config = $3, embedding_model = $4, updated_at = now()",
      static_cast<std::int64_t>(t.chunks.size), static_cast<std::int64_t>(t.chunks.overlap),
      t.text_config, t.embedding_model);
  // Every host's index names its model, so searches build afresh without being told.
  if (t.embedding_model != model_before) QueueRebuild(tx, tenant, t.embedding_model);
  return t;
}

std::int64_t QueueRebuild(db::Transaction& tx, std::int64_t tenant, const std::string& model) {
  const auto stale = DocumentRepository().CountStale(tx, model);
  if (stale > 0) {
    jobs::EnqueueOptions o;
    o.tenant_id = tenant;
    jobs::Enqueue(tx, "knowledge.rebuild", nlohmann::json::object(), o);
  }
  return stale;
}

}  // namespace sloth::knowledge
