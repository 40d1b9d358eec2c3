#include "knowledge/ingestion.hpp"

#include <spdlog/spdlog.h>

#include "jobs/job_queue.hpp"
#include "knowledge/document_repository.hpp"
#include "knowledge/parsers.hpp"
#include "tenants/tenant_repository.hpp"

namespace sloth::knowledge {
namespace {

using json = nlohmann::json;

constexpr int kRebuildBatch = 256;

std::int64_t DocumentId(const jobs::Job& job) {
  return job.payload.value("document_id", std::int64_t{0});
}

// A photo's analysis as text a client's question can find.
std::string PhotoText(const std::string& title, const json& analysis) {
  std::string text = "Photo: " + title + ".";
  auto names = [&](const char* key) {
    std::string list;
    for (const auto& l : analysis.value(key, json::array()))
      list += (list.empty() ? "" : ", ") + l.value("name", "");
    return list;
  };
  if (const auto labels = names("labels"); !labels.empty()) text += " Shows: " + labels + ".";
  if (const auto objects = names("objects"); !objects.empty()) text += " Objects: " + objects + ".";
  if (!analysis.value("text", "").empty())
    text += " Text in the photo: " + analysis.value("text", "");
  return text;
}

}  // namespace

void Ingestion::Start() {
  if (!vision_.plugin_id().empty()) vision_.Start();
}

void Ingestion::Stop() {
  vision_.Stop();
}

std::optional<Ingestion::Pending> Ingestion::ReadPending(jobs::StagedJobContext& ctx,
                                                         std::int64_t id, const char* kind) {
  return ctx.Read([&](db::Transaction& tx) -> std::optional<Pending> {
    auto doc = DocumentRepository().Find(tx, id, kind);
    if (!doc || doc->status == "completed") return std::nullopt;
    return Pending{std::move(*doc), settings_.Read(tx)};
  });
}

void Ingestion::FinishPending(jobs::StagedJobContext& ctx, std::int64_t id, const char* kind,
                              const std::function<void(db::Transaction&)>& record) {
  ctx.Finish([&](db::Transaction& tx) {
    const auto d = DocumentRepository().Find(tx, id, kind, /*lock=*/true);
    if (d && d->status != "completed") record(tx);
  });
}

void Ingestion::Register(jobs::WorkerPool& jobs) {
  jobs.RegisterStaged("knowledge.ingest", [this](jobs::StagedJobContext& ctx) { Ingest(ctx); });
  jobs.RegisterStaged("knowledge.analyze", [this](jobs::StagedJobContext& ctx) { Analyze(ctx); });
  jobs.RegisterStaged("knowledge.rebuild", [this](jobs::StagedJobContext& ctx) { Rebuild(ctx); });
  jobs.Register("knowledge.stale_scan", [this](jobs::JobContext& ctx) {
    spdlog::info("knowledge: {} organisation(s) queued for re-embedding", ScanStale(ctx.tx));
  });
  jobs.RegisterStaged("knowledge.cleanup", [this](jobs::StagedJobContext&) {
    spdlog::info("knowledge: {} orphaned file(s) removed", CleanupOrphans());
  });
}

Ingestion::Embedded Ingestion::Embed(const std::vector<Section>& sections,
                                     const TenantSettings& settings) {
  Embedded e;
  e.model = settings.embedding_model;
  e.text_config = settings.text_config;
  e.chunks = ChunkSections(sections, settings.chunks);
  if (e.chunks.empty()) return e;
  std::vector<std::string> texts;
  for (const auto& c : e.chunks) texts.push_back(c.text);
  e.vectors = models_.Embed(e.model, texts);
  e.dim = static_cast<std::uint32_t>(e.vectors.size() / e.chunks.size());
  return e;
}

void Ingestion::Record(db::Transaction& tx, std::int64_t tenant, std::int64_t id,
                       const Embedded& e) {
  KnowledgeSettings::LockModel(tx, tenant, false);
  std::vector<EmbeddedChunk> rows;
  for (std::size_t i = 0; i < e.chunks.size(); ++i)
    rows.push_back({&e.chunks[i], e.vectors.data() + i * e.dim});
  const auto [old_ids, new_ids] =
      DocumentRepository().ReplaceChunks(tx, id, rows, e.dim, e.model, e.text_config);
  auto& indexes = indexes_.indexes();
  indexes.Remove(tenant, old_ids);
  for (std::size_t i = 0; i < new_ids.size(); ++i) {
    // A rolled-back recording leaves an id here that no row matches; search skips it.
    indexes.Add(tenant, e.model, new_ids[i],
                std::vector<float>(e.vectors.begin() + static_cast<long>(i * e.dim),
                                   e.vectors.begin() + static_cast<long>((i + 1) * e.dim)));
  }
  indexes_.AnnounceChange(tx, tenant);
  // The owner changed the model while we embedded: these chunks are stale already.
  const std::string now = settings_.Read(tx).embedding_model;
  if (now != e.model) QueueRebuild(tx, tenant, now);
}

void Ingestion::Ingest(jobs::StagedJobContext& ctx) {
  const std::int64_t id = DocumentId(ctx.job);
  const std::int64_t tenant = ctx.job.tenant_id.value_or(0);
  const auto read = ReadPending(ctx, id, kDocumentKind);
  if (!read) return;
  DocumentRepository docs;
  auto fail = [&](const std::string& why) {
    FinishPending(ctx, id, kDocumentKind,
                  [&](db::Transaction& tx) { docs.MarkFailed(tx, id, why); });
    spdlog::info("knowledge: document {} failed: {}", id, why);
  };
  const std::string blob = blobs_.Get(read->doc.storage_key);  // retried with backoff
  std::vector<Section> sections;
  try {
    sections = Parse(read->doc.format, blob, parse_limits_);
  } catch (const ParseError& e) {
    fail(e.what());  // the upload's fault: recorded, not retried
    return;
  } catch (const std::exception& e) {
    fail(std::string("the file could not be read: ") + e.what());
    return;
  }
  const Embedded e = Embed(sections, read->settings);
  if (e.chunks.empty()) {
    fail("the document contains no text");
    return;
  }
  FinishPending(ctx, id, kDocumentKind, [&](db::Transaction& tx) {
    Record(tx, tenant, id, e);
    docs.MarkCompleted(tx, id, static_cast<std::int64_t>(e.chunks.size()));
  });
}

void Ingestion::Analyze(jobs::StagedJobContext& ctx) {
  const std::int64_t id = DocumentId(ctx.job);
  const std::int64_t tenant = ctx.job.tenant_id.value_or(0);
  const auto read = ReadPending(ctx, id, kPhotoKind);
  if (!read) return;
  DocumentRepository docs;
  const auto vision = vision_.Get();
  if (!vision) {  // offline: kept, searchable by its title, not analysed
    FinishPending(ctx, id, kPhotoKind, [&](db::Transaction& tx) {
      docs.MarkCompleted(tx, id, 0, json{{"skipped", "no vision provider is configured"}});
    });
    return;
  }
  const std::string blob = blobs_.Get(read->doc.storage_key);
  const auto out = vision->Analyze(blob, "image/" + read->doc.format, "{}");
  if (out.status == SLOTH_INVALID_ARGUMENT) {
    FinishPending(ctx, id, kPhotoKind,
                  [&](db::Transaction& tx) { docs.MarkFailed(tx, id, out.error); });
    return;
  }
  if (!out.ok()) throw std::runtime_error("vision: " + out.error);  // retried with backoff
  const json analysis = json::parse(out.output);
  const Embedded e = Embed({{PhotoText(read->doc.title, analysis), "photo", 0}}, read->settings);
  FinishPending(ctx, id, kPhotoKind, [&](db::Transaction& tx) {
    Record(tx, tenant, id, e);
    docs.MarkCompleted(tx, id, static_cast<std::int64_t>(e.chunks.size()), analysis);
  });
}

void Ingestion::Rebuild(jobs::StagedJobContext& ctx) {
  const std::int64_t tenant = ctx.job.tenant_id.value_or(0);
  DocumentRepository docs;
  struct Read {
    std::string model;
    std::vector<ChunkText> stale;
  };
  const Read read = ctx.Read([&](db::Transaction& tx) {
    Read r;
    r.model = settings_.Read(tx).embedding_model;
    r.stale = docs.Stale(tx, r.model, kRebuildBatch);
    return r;
  });
  if (read.stale.empty()) return;
  std::vector<std::string> texts;
  for (const auto& c : read.stale) texts.push_back(c.text);
  const auto vectors = models_.Embed(read.model, texts);
  const auto dim = static_cast<std::uint32_t>(vectors.size() / texts.size());
  ctx.Finish([&](db::Transaction& tx) {
    KnowledgeSettings::LockModel(tx, tenant, false);
    const std::string now = settings_.Read(tx).embedding_model;
    if (now == read.model) {
      // A chunk deleted, re-made or re-embedded by another run since the read keeps its row.
      for (std::size_t i = 0; i < read.stale.size(); ++i)
        docs.Reembed(tx, read.stale[i], vectors.data() + i * dim, dim, read.model);
      // Vectors of a new model: the next search builds afresh.
      indexes_.AnnounceRebuild(tx, tenant);
    }
    QueueRebuild(tx, tenant, now);  // the rest (or all, for a model changed meanwhile)
  });
}

int Ingestion::ScanStale(db::Transaction& tx) {
  int queued = 0;
  DocumentRepository docs;
  for (const auto& tenant : tenants::TenantRepository::Ids(tx)) {
    if (!docs.TenantHasStale(tx, tenant, models_.Names(), models_.Default())) continue;
    jobs::EnqueueOptions o;
    o.tenant_id = tenant.value;
    jobs::Enqueue(tx, "knowledge.rebuild", json::object(), o);
    ++queued;
  }
  return queued;
}

int Ingestion::CleanupOrphans() {
  int removed = 0;
  const auto tenants =
      pool_.InTransaction([](db::Transaction& tx) { return tenants::TenantRepository::Ids(tx); });
  for (const auto& tenant : tenants) {
    for (const char* folder : {"documents", "photos"}) {
      const std::string prefix = std::to_string(tenant.value) + "/" + folder + "/";
      std::string cursor;
      do {
        const auto page = blobs_.List(prefix, cursor, 1000);
        const auto used = pool_.InTenant(tenant, [&](db::Transaction& tx) {
          return DocumentRepository().KeysInUse(tx, page.keys);
        });
        for (const auto& key : page.keys) {
          if (!used.count(key) && blobs_.Remove(key)) ++removed;
        }
        cursor = page.next_cursor;
      } while (!cursor.empty());
    }
  }
  return removed;
}

}  // namespace sloth::knowledge
