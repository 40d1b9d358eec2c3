#include "knowledge/document_repository.hpp"

#include <cstdio>

#include "db/binary.hpp"

namespace sloth::knowledge {
namespace {

constexpr const char* kColumns =
    "id, kind, title, format, size_bytes, status, error, chunk_count, public.rfc3339(created_at) "
    "AS created_at, storage_key, analysis::text AS analysis";

Document Read(const db::Row& r) {
  Document d;
  d.id = r.Int("id");
  d.kind = r.Text("kind");
  d.title = r.Text("title");
  d.format = r.Text("format");
  d.size_bytes = r.Int("size_bytes");
  d.status = r.Text("status");
  d.error = r.OptText("error");
  d.chunk_count = r.Int("chunk_count");
  d.created_at = r.Text("created_at");
  d.storage_key = r.Text("storage_key");
  if (const auto a = r.OptText("analysis")) d.analysis = nlohmann::json::parse(*a);
  return d;
}

}  // namespace

std::string RealArray(const float* v, std::uint32_t n) {
  std::string s = "{";
  char buf[32];
  for (std::uint32_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, i ? ",%.7g" : "%.7g", static_cast<double>(v[i]));
    s += buf;
  }
  return s + "}";
}

std::int64_t DocumentRepository::Insert(db::Transaction& tx, const NewDocument& d) {
  return tx
      .Exec(
          "INSERT INTO documents (kind, title, filename, format, size_bytes, storage_key) VALUES "
          "($1, left($2, 300), left($3, 300), $4, $5, $6) RETURNING id",
          d.kind, d.title, d.filename, d.format, d.size_bytes, d.storage_key)
      .Int(0, 0);
}

std::optional<Document> DocumentRepository::Find(db::Transaction& tx, std::int64_t id,
                                                 const std::string& kind, bool lock) {
  auto r = tx.Exec(std::string("SELECT ") + kColumns +
                       " FROM documents WHERE id = $1 AND ($2 = '' OR kind = $2)" +
                       (lock ? " FOR UPDATE" : ""),
                   id, kind);
  if (r.Empty()) return std::nullopt;
  return Read(r.At(0));
}

std::vector<Document> DocumentRepository::List(db::Transaction& tx, const std::string& kind,
                                               std::int64_t after, int limit) {
  auto r = tx.Exec(std::string("SELECT ") + kColumns +
                       " FROM documents WHERE kind = $3 AND id > $1 ORDER BY id LIMIT $2",
                   after, limit, kind);
  std::vector<Document> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back(Read(r.At(i)));
  return out;
}

std::optional<DeletedDocument> DocumentRepository::Delete(db::Transaction& tx, std::int64_t id,
                                                          const std::string& kind) {
  auto gone = tx.Exec("SELECT id FROM chunks WHERE document_id = $1", id);
  auto r =
      tx.Exec("DELETE FROM documents WHERE id = $1 AND kind = $2 RETURNING storage_key, size_bytes",
              id, kind);
  if (r.Empty()) return std::nullopt;
  DeletedDocument d{r.Text(0, 0), r.Int(0, 1), {}};
  for (int i = 0; i < gone.Rows(); ++i) d.chunk_ids.push_back(gone.Int(i, 0));
  return d;
}

void DocumentRepository::MarkFailed(db::Transaction& tx, std::int64_t id,
                                    const std::string& error) {
  tx.Exec(
      "UPDATE documents SET status = 'failed', error = left($2, 1000), updated_at = now() WHERE "
      "id = $1",
      id, error);
}

void DocumentRepository::MarkCompleted(db::Transaction& tx, std::int64_t id,
                                       std::int64_t chunk_count,
                                       const std::optional<nlohmann::json>& analysis) {
  tx.Exec(
      "UPDATE documents SET status = 'completed', error = NULL, chunk_count = $2, analysis = "
      "coalesce($3::jsonb, analysis), updated_at = now() WHERE id = $1",
      id, chunk_count,
      analysis ? std::optional<std::string>(analysis->dump()) : std::optional<std::string>());
}

std::set<std::string> DocumentRepository::KeysInUse(db::Transaction& tx,
                                                    const std::vector<std::string>& keys) {
  auto r = tx.Exec("SELECT storage_key FROM documents WHERE storage_key = ANY ($1::text[])", keys);
  std::set<std::string> used;
  for (int i = 0; i < r.Rows(); ++i) used.insert(r.Text(i, 0));
  return used;
}

std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> DocumentRepository::ReplaceChunks(
    db::Transaction& tx, std::int64_t document_id, const std::vector<EmbeddedChunk>& chunks,
    std::uint32_t dim, const std::string& model, const std::string& text_config) {
  std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> ids;
  auto old = tx.Exec("DELETE FROM chunks WHERE document_id = $1 RETURNING id", document_id);
  for (int i = 0; i < old.Rows(); ++i) ids.first.push_back(old.Int(i, 0));
  for (const auto& c : chunks) {
    auto ins = tx.Exec(
        "INSERT INTO chunks (document_id, position, label, page, text, tsv, embedding, model, "
        "text_config) VALUES ($1, $2, nullif($3, ''), $4, $5, to_tsvector($8::regconfig, $5), "
        "$6::real[], $7, $8) RETURNING id",
        document_id, c.chunk->position, c.chunk->label, c.chunk->page, c.chunk->text,
        RealArray(c.vector, dim), model, text_config);
    ids.second.push_back(ins.Int(0, 0));
  }
  return ids;
}

std::int64_t DocumentRepository::CountStale(db::Transaction& tx, const std::string& model) {
  return tx.Exec("SELECT count(*) FROM chunks WHERE model <> $1", model).Int(0, 0);
}

std::vector<ChunkText> DocumentRepository::Stale(db::Transaction& tx, const std::string& model,
                                                 int limit) {
  auto r =
      tx.Exec("SELECT id, text FROM chunks WHERE model <> $1 ORDER BY id LIMIT $2", model, limit);
  std::vector<ChunkText> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back({r.Int(i, 0), r.Text(i, 1)});
  return out;
}

bool DocumentRepository::Reembed(db::Transaction& tx, const ChunkText& chunk, const float* vector,
                                 std::uint32_t dim, const std::string& model) {
  return tx.Exec(
               "UPDATE chunks SET embedding = $2::real[], model = $3 WHERE id = $1 AND model <> "
               "$3 AND text = $4",
               chunk.id, RealArray(vector, dim), model, chunk.text)
             .Affected() > 0;
}

bool DocumentRepository::TenantHasStale(db::Transaction& tx, const db::TenantId& tenant,
                                        const std::vector<std::string>& offered,
                                        const std::string& fallback) {
  const std::string schema = tenant.Schema();
  return tx.Exec("SELECT EXISTS (SELECT 1 FROM " + schema +
                     ".chunks WHERE model <> coalesce((SELECT embedding_model FROM " + schema +
                     ".knowledge_settings WHERE embedding_model = ANY ($1::text[])), $2))",
                 offered, fallback)
             .Text(0, 0) == "t";
}

std::vector<std::int64_t> DocumentRepository::TextSearch(db::Transaction& tx,
                                                         const std::string& query, int limit,
                                                         const std::string& text_config,
                                                         const std::string& stop_words) {
  // Any of the query's words (OR) but its function words, ranked by cover density. A
  // language configuration drops its own stop words and stems; 'simple' does neither, so
  // there "how", "is" or "чи" are left out here, and a longer word matches by its prefix
  // without the last two letters ("балаяжу" finds "балаяж", "lashes" finds "lash").
  auto r = tx.Exec(
      "WITH w AS (SELECT lexeme FROM unnest(to_tsvector($3::regconfig, $1)) WHERE lexeme <> ALL "
      "($4::text[])), q AS (SELECT string_agg(CASE WHEN $3::text = 'simple' AND length(lexeme) "
      "> 5 THEN quote_literal(left(lexeme, length(lexeme) - 2)) || ':*' ELSE "
      "quote_literal(lexeme) END, ' | ')::tsquery AS q FROM w) SELECT c.id FROM chunks c, q "
      "WHERE q.q IS NOT NULL AND c.tsv @@ q.q ORDER BY ts_rank_cd(c.tsv, q.q) DESC, c.id LIMIT "
      "$2",
      query, limit, text_config, stop_words);
  std::vector<std::int64_t> ids;
  for (int i = 0; i < r.Rows(); ++i) ids.push_back(r.Int(i, 0));
  return ids;
}

std::vector<ChunkSource> DocumentRepository::Sources(db::Transaction& tx,
                                                     const std::vector<std::int64_t>& ids) {
  auto r = tx.Exec(
      "SELECT c.id, c.text, c.document_id, d.title, coalesce(c.label, '') AS label, c.page, "
      "d.kind FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ANY "
      "($1::bigint[])",
      ids);
  std::vector<ChunkSource> out;
  for (int i = 0; i < r.Rows(); ++i) {
    const auto row = r.At(i);
    out.push_back({row.Int("id"), row.Text("text"), row.Int("document_id"), row.Text("kind"),
                   row.Text("title"), row.Text("label"), static_cast<int>(row.Int("page"))});
  }
  return out;
}

namespace {
// Vectors are read a page at a time, so a large index never has every vector's text in
// memory at once (at dimension 384 a page is about 9 MB).
constexpr int kVectorPage = 2000;
}  // namespace

void DocumentRepository::ForEachVector(
    db::Transaction& tx, const std::string& model,
    const std::function<void(std::int64_t id, const std::vector<float>& vector)>& fn) {
  // A page's ids first, then their vectors: only those rows are read, whatever plan
  // PostgreSQL picks (without statistics, as after a bulk upload, it sorted every row of the
  // model with its vector's text for each page: 1.6 s a page at 100k chunks).
  std::int64_t after = 0;  // ids start at 1
  for (;;) {
    auto r = tx.Exec("SELECT id FROM chunks WHERE model = $1 AND id > $2 ORDER BY id LIMIT $3",
                     model, after, kVectorPage);
    if (r.Empty()) return;
    std::vector<std::int64_t> page;
    page.reserve(static_cast<std::size_t>(r.Rows()));
    for (int i = 0; i < r.Rows(); ++i) page.push_back(r.Int(i, 0));
    ForEachVectorOf(tx, model, page, fn);
    after = page.back();
  }
}

std::vector<std::int64_t> DocumentRepository::VectorIds(db::Transaction& tx,
                                                        const std::string& model) {
  auto r = tx.Exec("SELECT id FROM chunks WHERE model = $1 ORDER BY id", model);
  std::vector<std::int64_t> ids;
  ids.reserve(static_cast<std::size_t>(r.Rows()));
  for (int i = 0; i < r.Rows(); ++i) ids.push_back(r.Int(i, 0));
  return ids;
}

void DocumentRepository::ForEachVectorOf(
    db::Transaction& tx, const std::string& model, const std::vector<std::int64_t>& ids,
    const std::function<void(std::int64_t id, const std::vector<float>& vector)>& fn) {
  std::vector<float> v;
  for (std::size_t at = 0; at < ids.size(); at += kVectorPage) {
    const std::vector<std::int64_t> page(
        ids.begin() + static_cast<std::ptrdiff_t>(at),
        ids.begin() + static_cast<std::ptrdiff_t>(std::min(ids.size(), at + kVectorPage)));
    // In binary: PostgreSQL's text of 384 floats costs more than the floats themselves.
    auto r = tx.ExecBinary(
        "SELECT id, embedding FROM chunks WHERE model = $1 AND id = ANY ($2::bigint[])", model,
        page);
    for (int i = 0; i < r.Rows(); ++i) {
      if (!db::binary::Float4Array(r.View(i, 1), v)) v.clear();  // NULL elements: no vector
      fn(db::binary::Int8(r.View(i, 0)), v);
    }
  }
}

}  // namespace sloth::knowledge
