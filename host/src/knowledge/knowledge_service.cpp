#include "knowledge/knowledge_service.hpp"

#include <algorithm>
#include <cmath>
#include <map>

#include <sodium.h>
#include <spdlog/spdlog.h>

#include "billing/usage.hpp"
#include "http/api_error.hpp"
#include "jobs/job_queue.hpp"
#include "knowledge/parsers.hpp"
#include "storage/blob_writer.hpp"

#include <unistd.h>

namespace sloth::knowledge {
namespace {

using json = nlohmann::json;

// real[] in PostgreSQL's text form, and back.
std::string ToArray(const float* v, std::uint32_t n) {
  std::string s = "{";
  char buf[32];
  for (std::uint32_t i = 0; i < n; ++i) {
    std::snprintf(buf, sizeof buf, i ? ",%.7g" : "%.7g", static_cast<double>(v[i]));
    s += buf;
  }
  return s + "}";
}

// Function words of questions in the languages salons write in (English, Ukrainian), as a
// PostgreSQL text[]: left out of full-text queries under the 'simple' configuration.
const std::string& QueryStopWords() {
  static const std::string words =
      "{a,an,the,and,or,of,to,in,on,for,is,are,be,it,do,does,did,you,your,we,our,i,my,me,can,"
      "could,with,at,by,what,which,who,when,where,how,this,that,there,have,has,will,would,from,"
      "as,so,if,any,some,much,many,get,і,й,та,в,у,на,з,із,зі,до,що,як,чи,це,ви,ми,я,мені,вас,"
      "нас,вам,для,по,за,є,а,але,не,де,коли,який,яка,яке,які,можна,мені,чому,хто,"
      "Що,Як,Чи,Де,Коли,Який,Яка,Яке,Які,Можна,Хто}";
  return words;
}

// Embedding with the tenant's model takes this lock shared, changing the model takes it
// exclusively: a change waits for ingestions in flight, so the rebuild it queues sees their
// chunks, and an ingestion after it reads the new model.
void LockModel(db::Transaction& tx, std::int64_t tenant, bool exclusive) {
  tx.Exec(std::string("SELECT ") +
              (exclusive ? "pg_advisory_xact_lock" : "pg_advisory_xact_lock_shared") +
              "(hashtext('sloth.embedding_model'), $1::int)",
          static_cast<std::int32_t>(tenant));
}

// Storage is counted in whole megabytes, at least one per file.
std::int64_t Megabytes(std::size_t bytes) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>((bytes + (1 << 20) - 1) >> 20));
}

}  // namespace

KnowledgeService::KnowledgeService(plugins::PluginManager& plugins, KnowledgeOptions options)
    : plugins_(plugins), options_(std::move(options)) {
  // The default first; a default that embedding_models does not define is a plugin id.
  auto& models = options_.embedding_models;
  const auto def = std::find_if(models.begin(), models.end(), [&](const EmbeddingModel& m) {
    return m.name == options_.embedder_plugin;
  });
  if (def == models.end())
    models.insert(models.begin(), {options_.embedder_plugin, options_.embedder_plugin});
  else
    std::rotate(models.begin(), def, def + 1);
  for (const auto& m : models) model_names_.push_back(m.name);
}

void KnowledgeService::Start() {
  host_id_ =
      std::to_string(getpid()) + "-" + std::to_string(reinterpret_cast<std::uintptr_t>(this));
  if (!options_.database_url.empty()) {
    listener_ = std::make_unique<db::Listener>(options_.database_url, 5);
    listener_->Subscribe(kKnowledgeChannel, [this](const std::string&, const std::string& payload) {
      if (payload.empty()) {  // reconnected: changes may have been missed
        indexes_.InvalidateAll();
        return;
      }
      const auto colon = payload.find(':');
      if (payload.substr(colon + 1) == host_id_) return;  // our own change, already applied
      try {
        indexes_.Invalidate(std::stoll(payload.substr(0, colon)));
      } catch (const std::exception&) {
      }
    });
    listener_->Start();
  }
  auto make = [&](const std::string& id, const std::string& what,
                  const json& overrides =
                      json::object()) -> std::shared_ptr<plugins::PluginInstance> {
    try {
      plugins::InstanceSpec spec;
      spec.instance_id = "knowledge-" + what;
      const auto& all = plugins_.context().plugin_configs;
      if (all.contains(id)) spec.config = all[id];
      if (!overrides.is_null() && !overrides.empty()) {
        if (!spec.config.is_object()) spec.config = json::object();
        spec.config.merge_patch(overrides);
      }
      auto inst = plugins_.CreateInstance(id, std::move(spec));
      const auto started = inst->Start();
      if (!started.ok()) throw plugins::PluginError(started.status, started.error);
      return inst;
    } catch (const std::exception& e) {
      spdlog::error("knowledge: {} plugin {} unavailable: {}", what, id, e.what());
      return nullptr;
    }
  };
  auto storage = make(options_.storage_plugin, "storage");
  std::map<std::string, std::shared_ptr<plugins::PluginInstance>> embedders;
  for (const auto& m : options_.embedding_models) {
    if (auto inst = make(m.plugin, "embedder-" + m.name, m.config)) embedders[m.name] = inst;
  }
  auto vision = options_.vision_plugin.empty() ? nullptr : make(options_.vision_plugin, "vision");
  std::lock_guard lock(mu_);
  storage_ = std::move(storage);
  embedders_ = std::move(embedders);
  vision_ = std::move(vision);
}

void KnowledgeService::Stop() {
  if (listener_) listener_->Stop();
  std::vector<std::shared_ptr<plugins::PluginInstance>> all;
  {
    std::lock_guard lock(mu_);
    all = {std::move(storage_), std::move(vision_)};
    for (auto& [name, inst] : embedders_) all.push_back(std::move(inst));
    embedders_.clear();
  }
  for (const auto& inst : all) {
    if (inst) inst->Stop();
  }
}

std::shared_ptr<plugins::PluginInstance> KnowledgeService::Storage() {
  std::lock_guard lock(mu_);
  if (!storage_) throw http::ApiError(503, "unavailable", "document storage is not available");
  return storage_;
}

std::shared_ptr<plugins::PluginInstance> KnowledgeService::Embedder(const std::string& model) {
  std::lock_guard lock(mu_);
  const auto it = embedders_.find(model);
  if (it == embedders_.end() || !it->second)
    throw http::ApiError(503, "unavailable", "the embedding model " + model + " is not available");
  return it->second;
}

void KnowledgeService::Register(jobs::WorkerPool& jobs) {
  jobs.Register("knowledge.ingest", [this](jobs::JobContext& ctx) { Ingest(ctx); });
  jobs.Register("knowledge.analyze", [this](jobs::JobContext& ctx) { Analyze(ctx); });
  jobs.Register("knowledge.rebuild", [this](jobs::JobContext& ctx) { Rebuild(ctx); });
  jobs.Register("knowledge.stale_scan", [this](jobs::JobContext& ctx) {
    spdlog::info("knowledge: {} organisation(s) queued for re-embedding", ScanStale(ctx.tx));
  });
  jobs.Register("knowledge.cleanup", [this](jobs::JobContext& ctx) {
    spdlog::info("knowledge: {} orphaned file(s) removed", CleanupOrphans(ctx.tx));
  });
}

std::vector<float> KnowledgeService::Embed(const std::string& model,
                                           const std::vector<std::string>& texts) {
  std::vector<float> out;
  std::uint32_t dim = 0;  // the plugin reports it; rows of `out` are that long
  const auto r = Embedder(model)->Embed(texts, out, dim);
  if (!r.ok()) throw std::runtime_error("embedding failed: " + r.error);
  return out;
}

void KnowledgeService::StoreBlob(const std::string& key, const std::string& data) {
  const auto put = Storage()->Put(key, data, "application/octet-stream");
  if (!put.ok()) throw std::runtime_error(put.error);
}

const KnowledgeService::UploadKind KnowledgeService::kDocument = {
    "document", "documents", "knowledge.ingest", 3, "Untitled", false};
const KnowledgeService::UploadKind KnowledgeService::kPhoto = {
    "photo", "photos", "knowledge.analyze", 5, "Photo", true};

void KnowledgeService::CheckQuota(db::Pool& pool, std::int64_t tenant, const UploadKind& kind) {
  pool.InTenant(db::TenantId{tenant}, [&](db::Transaction& tx) {
    billing::UsageMeter meter;
    meter.Check(tx, tenant, kind.quota);
    meter.Check(tx, tenant, "storage_mb", 1);
  });
}

KnowledgeService::StoredFile KnowledgeService::Receive(std::int64_t tenant, const UploadKind& kind,
                                                       const std::string& filename,
                                                       std::istream& in) {
  const auto limit = options_.max_upload_bytes;
  std::string buf;
  auto next_block = [&in, &buf] {
    buf.resize(64 * 1024);
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    buf.resize(static_cast<std::size_t>(in.gcount()));
  };
  next_block();
  if (buf.empty()) throw http::ApiError(400, "invalid_argument", "the file is empty", "file");
  StoredFile file;
  file.filename = filename;
  file.format = DetectFormat(buf, filename);
  const bool image = file.format == "jpeg" || file.format == "png" || file.format == "webp";
  if (file.format.empty() || image != kind.photo) {
    throw http::ApiError(415, "unsupported_type",
                         kind.photo ? "photos must be JPEG, PNG or WebP (decided by content)"
                                    : "documents must be PDF, DOCX, XLSX, TXT, MD or CSV "
                                      "(decided by content)",
                         "file");
  }
  unsigned char id[12];
  randombytes_buf(id, sizeof id);
  char name[sizeof id * 2 + 1];
  sodium_bin2hex(name, sizeof name, id, sizeof id);
  file.key = std::to_string(tenant) + "/" + kind.quota + "/" + name + "." + file.format;
  try {
    storage::BlobWriter blob(Storage(), file.key,
                             image ? "image/" + file.format : "application/octet-stream");
    while (!buf.empty()) {
      if (blob.size() + buf.size() > limit) {
        throw http::ApiError(413, "too_large",
                             "the file is larger than " + std::to_string(limit >> 20) + " MB",
                             "file");
      }
      blob.Write(buf);
      next_block();
    }
    blob.Commit();
    file.size = blob.size();
  } catch (const storage::StorageError& e) {
    throw http::ApiError(503, "unavailable",
                         std::string("the file could not be stored: ") + e.what());
  }
  return file;
}

json KnowledgeService::Record(db::Transaction& tx, std::int64_t tenant, const UploadKind& kind,
                              const StoredFile& file, const std::string& title) {
  billing::UsageMeter meter;
  meter.Consume(tx, tenant, kind.quota);
  meter.Consume(tx, tenant, "storage_mb", Megabytes(file.size));
  const std::string name =
      !title.empty() ? title : (!file.filename.empty() ? file.filename : kind.default_title);
  auto r = tx.Exec(
      "INSERT INTO documents (kind, title, filename, format, size_bytes, storage_key) VALUES ($1, "
      "left($2, 300), left($3, 300), $4, $5, $6) RETURNING id",
      kind.kind, name, file.filename, file.format, static_cast<std::int64_t>(file.size), file.key);
  const std::int64_t id = r.Int(0, 0);
  jobs::EnqueueOptions o;
  o.tenant_id = tenant;
  o.max_attempts = kind.max_attempts;
  jobs::Enqueue(tx, kind.job, {{"document_id", id}}, o);
  return {{"id", id}, {"status", "pending"}, {"format", file.format}};
}

void KnowledgeService::Discard(const StoredFile& file) noexcept {
  try {
    const auto r = Storage()->Remove(file.key);
    if (!r.ok()) throw std::runtime_error(r.error);
  } catch (const std::exception& e) {
    // The weekly knowledge.cleanup removes it.
    spdlog::warn("knowledge: unrecorded file {} not removed: {}", file.key, e.what());
  }
}

bool KnowledgeService::Delete(db::Transaction& tx, std::int64_t tenant, std::int64_t id,
                              const std::string& kind) {
  auto gone = tx.Exec("SELECT id FROM chunks WHERE document_id = $1", id);
  auto r =
      tx.Exec("DELETE FROM documents WHERE id = $1 AND kind = $2 RETURNING storage_key, size_bytes",
              id, kind);
  if (r.Empty()) return false;
  std::vector<std::int64_t> chunk_ids;
  for (int i = 0; i < gone.Rows(); ++i) chunk_ids.push_back(gone.Int(i, 0));
  indexes_.Remove(tenant, chunk_ids);
  db::Notify(tx, kKnowledgeChannel, std::to_string(tenant) + ":" + host_id_);
  const auto removed = Storage()->Remove(r.Text(0, 0));
  if (!removed.ok())
    spdlog::warn("knowledge: blob {} not removed: {}", r.Text(0, 0), removed.error);
  // Give the totals back: its megabytes, and one document (photos count per month instead).
  billing::UsageMeter meter;
  meter.Release(tx, tenant, "storage_mb", Megabytes(static_cast<std::size_t>(r.Int(0, 1))));
  if (kind == kDocument.kind) meter.Release(tx, tenant, kDocument.quota);
  return true;
}

void KnowledgeService::Ingest(jobs::JobContext& ctx) {
  auto& tx = ctx.tx;
  const std::int64_t id = ctx.job.payload.value("document_id", std::int64_t{0});
  auto doc =
      tx.Exec("SELECT format, storage_key, status FROM documents WHERE id = $1 FOR UPDATE", id);
  if (doc.Empty() || doc.Text(0, 2) == "completed") return;
  const std::string format = doc.Text(0, 0);
  auto fail = [&](const std::string& why) {
    tx.Exec(
        "UPDATE documents SET status = 'failed', error = left($2, 1000), updated_at = now() "
        "WHERE id = $1",
        id, why);
    spdlog::info("knowledge: document {} failed: {}", id, why);
  };
  const auto blob = Storage()->Get(doc.Text(0, 1));
  if (!blob.ok()) throw std::runtime_error("cannot read the stored file: " + blob.error);
  std::vector<Section> sections;
  try {
    sections = Parse(format, blob.output);
  } catch (const ParseError& e) {
    fail(e.what());  // the upload's fault: recorded, not retried
    return;
  } catch (const std::exception& e) {
    fail(std::string("the file could not be read: ") + e.what());
    return;
  }
  const int n = IndexSections(tx, ctx.job.tenant_id.value_or(0), id, sections);
  if (n == 0) {
    fail("the document contains no text");
    return;
  }
  tx.Exec(
      "UPDATE documents SET status = 'completed', error = NULL, chunk_count = $2, updated_at = "
      "now() WHERE id = $1",
      id, n);
}

TenantSettings KnowledgeService::Settings(db::Transaction& tx) {
  TenantSettings t;
  t.chunks = options_.chunks;
  t.embedding_model = options_.embedder_plugin;
  auto r = tx.Exec(
      "SELECT chunk_size, chunk_overlap, text_config, coalesce(embedding_model, '') FROM "
      "knowledge_settings");
  if (!r.Empty()) {
    t.chunks = {static_cast<std::size_t>(r.Int(0, 0)), static_cast<std::size_t>(r.Int(0, 1))};
    t.text_config = r.Text(0, 2);
    // A choice the host no longer offers falls back to the default (and a rebuild).
    const auto& names = ModelNames();
    if (std::find(names.begin(), names.end(), r.Text(0, 3)) != names.end())
      t.embedding_model = r.Text(0, 3);
  }
  return t;
}

TenantSettings KnowledgeService::UpdateSettings(db::Transaction& tx, std::int64_t tenant,
                                                const json& body) {
  if (body.contains("embedding_model")) LockModel(tx, tenant, true);
  TenantSettings t = Settings(tx);
  const std::string model_before = t.embedding_model;
  if (body.contains("embedding_model")) {
    const auto& names = ModelNames();
    const auto& m = body["embedding_model"];
    if (!m.is_string() ||
        std::find(names.begin(), names.end(), m.get<std::string>()) == names.end()) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      throw http::ApiError(400, "invalid_argument", "embedding_model must be one of: " + list,
                           "embedding_model");
    }
    t.embedding_model = m.get<std::string>();
  }
  if (body.contains("chunk_size")) {
    if (!body["chunk_size"].is_number_integer() || body["chunk_size"] < 100 ||
        body["chunk_size"] > 20000)
      throw http::ApiError(400, "invalid_argument", "chunk_size must be 100..20000", "chunk_size");
    t.chunks.size = body["chunk_size"].get<std::size_t>();
  }
  if (body.contains("chunk_overlap")) {
    if (!body["chunk_overlap"].is_number_integer() || body["chunk_overlap"] < 0)
      throw http::ApiError(400, "invalid_argument", "chunk_overlap must be >= 0", "chunk_overlap");
    t.chunks.overlap = body["chunk_overlap"].get<std::size_t>();
  }
  if (t.chunks.overlap * 2 > t.chunks.size) {
    throw http::ApiError(400, "invalid_argument",
                         "chunk_overlap must be at most half of chunk_size", "chunk_overlap");
  }
  if (body.contains("language")) {
    // A language PostgreSQL stems (english, german, ...) where it has one, else 'simple'.
    const std::string lang =
        body["language"].is_string() ? body["language"].get<std::string>() : "";
    static const std::map<std::string, std::string> names = {
        {"en", "english"}, {"uk", "ukrainian"}, {"de", "german"}, {"fr", "french"},
        {"es", "spanish"}, {"it", "italian"},   {"pl", "polish"}, {"ru", "russian"}};
    const auto it = names.find(lang);
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
  if (t.embedding_model != model_before) QueueRebuild(tx, tenant);
  return t;
}

int KnowledgeService::IndexSections(db::Transaction& tx, std::int64_t tenant, std::int64_t id,
                                    const std::vector<Section>& sections) {
  LockModel(tx, tenant, false);
  const TenantSettings settings = Settings(tx);
  const auto chunks = ChunkSections(sections, settings.chunks);
  if (chunks.empty()) return 0;
  std::vector<std::string> texts;
  for (const auto& c : chunks) texts.push_back(c.text);
  const auto vectors = Embed(settings.embedding_model, texts);
  const std::uint32_t dim = static_cast<std::uint32_t>(vectors.size() / chunks.size());
  auto old = tx.Exec("DELETE FROM chunks WHERE document_id = $1 RETURNING id", id);
  std::vector<std::int64_t> old_ids;
  for (int i = 0; i < old.Rows(); ++i) old_ids.push_back(old.Int(i, 0));
  indexes_.Remove(tenant, old_ids);
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    auto ins = tx.Exec(
        "INSERT INTO chunks (document_id, position, label, page, text, tsv, embedding, model, "
        "text_config) VALUES ($1, $2, nullif($3, ''), $4, $5, to_tsvector($8::regconfig, $5), "
        "$6::real[], $7, $8) RETURNING id",
        id, chunks[i].position, chunks[i].label, chunks[i].page, chunks[i].text,
        ToArray(vectors.data() + i * dim, dim), settings.embedding_model, settings.text_config);
    // A rolled-back ingestion leaves an id here that no row matches; search skips it.
    indexes_.Add(tenant, settings.embedding_model, ins.Int(0, 0),
                 std::vector<float>(vectors.begin() + static_cast<long>(i * dim),
                                    vectors.begin() + static_cast<long>((i + 1) * dim)));
  }
  db::Notify(tx, kKnowledgeChannel, std::to_string(tenant) + ":" + host_id_);
  return static_cast<int>(chunks.size());
}

void KnowledgeService::Analyze(jobs::JobContext& ctx) {
  auto& tx = ctx.tx;
  const std::int64_t id = ctx.job.payload.value("document_id", std::int64_t{0});
  auto doc = tx.Exec(
      "SELECT format, storage_key, status, title FROM documents WHERE id = $1 AND kind = 'photo' "
      "FOR UPDATE",
      id);
  if (doc.Empty() || doc.Text(0, 2) == "completed") return;
  std::shared_ptr<plugins::PluginInstance> vision;
  {
    std::lock_guard lock(mu_);
    vision = vision_;
  }
  if (!vision) {  // offline: kept, searchable by its title, not analysed
    tx.Exec(
        "UPDATE documents SET status = 'completed', analysis = '{\"skipped\": \"no vision "
        "provider is configured\"}', updated_at = now() WHERE id = $1",
        id);
    return;
  }
  const auto blob = Storage()->Get(doc.Text(0, 1));
  if (!blob.ok()) throw std::runtime_error("cannot read the stored photo: " + blob.error);
  const auto out = vision->Analyze(blob.output, "image/" + doc.Text(0, 0), "{}");
  if (out.status == SLOTH_INVALID_ARGUMENT) {
    tx.Exec(
        "UPDATE documents SET status = 'failed', error = left($2, 1000), updated_at = now() "
        "WHERE id = $1",
        id, out.error);
    return;
  }
  if (!out.ok()) throw std::runtime_error("vision: " + out.error);  // retried with backoff
  const json analysis = json::parse(out.output);
  std::string text = "Photo: " + doc.Text(0, 3) + ".";
  std::string labels;
  for (const auto& l : analysis.value("labels", json::array()))
    labels += (labels.empty() ? "" : ", ") + l.value("name", "");
  if (!labels.empty()) text += " Shows: " + labels + ".";
  std::string objects;
  for (const auto& o : analysis.value("objects", json::array()))
    objects += (objects.empty() ? "" : ", ") + o.value("name", "");
  if (!objects.empty()) text += " Objects: " + objects + ".";
  if (!analysis.value("text", "").empty())
    text += " Text in the photo: " + analysis.value("text", "");
  const int n = IndexSections(tx, ctx.job.tenant_id.value_or(0), id, {{text, "photo", 0}});
  tx.Exec(
      "UPDATE documents SET status = 'completed', error = NULL, analysis = $2::jsonb, "
      "chunk_count = $3, updated_at = now() WHERE id = $1",
      id, analysis.dump(), n);
}

std::int64_t KnowledgeService::QueueRebuild(db::Transaction& tx, std::int64_t tenant) {
  const auto stale =
      tx.Exec("SELECT count(*) FROM chunks WHERE model <> $1", Settings(tx).embedding_model)
          .Int(0, 0);
  if (stale > 0) {
    jobs::EnqueueOptions o;
    o.tenant_id = tenant;
    jobs::Enqueue(tx, "knowledge.rebuild", json::object(), o);
  }
  return stale;
}

void KnowledgeService::Rebuild(jobs::JobContext& ctx) {
  constexpr int kBatch = 256;
  auto& tx = ctx.tx;
  const std::int64_t tenant = ctx.job.tenant_id.value_or(0);
  LockModel(tx, tenant, false);
  const std::string model = Settings(tx).embedding_model;
  auto r = tx.Exec(
      "SELECT id, text FROM chunks WHERE model <> $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
      model, kBatch);
  if (r.Empty()) return;
  std::vector<std::string> texts;
  for (int i = 0; i < r.Rows(); ++i) texts.push_back(r.Text(i, 1));
  const auto vectors = Embed(model, texts);
  const std::uint32_t dim = static_cast<std::uint32_t>(vectors.size() / texts.size());
  for (int i = 0; i < r.Rows(); ++i) {
    tx.Exec("UPDATE chunks SET embedding = $2::real[], model = $3 WHERE id = $1", r.Int(i, 0),
            ToArray(vectors.data() + static_cast<std::size_t>(i) * dim, dim), model);
  }
  // Vectors of a new model: the next search builds afresh. A search between here and the
  // commit would cache an index without them, so this host is told too (no host id in the
  // payload), after the commit, like every other host.
  indexes_.Invalidate(tenant);
  db::Notify(tx, kKnowledgeChannel, std::to_string(tenant));
  if (r.Rows() == kBatch) QueueRebuild(tx, tenant);  // the rest in the next job
}

void KnowledgeService::QueueStaleScan(db::Transaction& tx) {
  jobs::Enqueue(tx, "knowledge.stale_scan", json::object());
}

int KnowledgeService::ScanStale(db::Transaction& tx) {
  const auto& names = ModelNames();
  std::string offered = "{";
  for (const auto& n : names) offered += (offered.size() > 1 ? "," : "") + n;
  offered += "}";
  int queued = 0;
  auto tenants = tx.Exec("SELECT id FROM public.tenants ORDER BY id");
  for (int t = 0; t < tenants.Rows(); ++t) {
    const db::TenantId tenant{tenants.Int(t, 0)};
    const std::string schema = tenant.Schema();
    // The organisation's model as Settings() resolves it: its choice while offered, else
    // the default.
    const bool stale =
        tx.Exec("SELECT EXISTS (SELECT 1 FROM " + schema +
                    ".chunks WHERE model <> coalesce((SELECT embedding_model FROM " + schema +
                    ".knowledge_settings WHERE embedding_model = ANY ($1::text[])), $2))",
                offered, options_.embedder_plugin)
            .Text(0, 0) == "t";
    if (!stale) continue;
    jobs::EnqueueOptions o;
    o.tenant_id = tenant.value;
    jobs::Enqueue(tx, "knowledge.rebuild", json::object(), o);
    ++queued;
  }
  return queued;
}

int KnowledgeService::CleanupOrphans(db::Transaction& tx) {
  int removed = 0;
  auto tenants = tx.Exec("SELECT id FROM public.tenants ORDER BY id");
  for (int t = 0; t < tenants.Rows(); ++t) {
    const db::TenantId tenant{tenants.Int(t, 0)};
    for (const char* kind : {"documents", "photos"}) {
      const std::string prefix = std::to_string(tenant.value) + "/" + kind + "/";
      std::string cursor;
      for (;;) {
        const auto page = Storage()->List(prefix, cursor, 1000);
        if (!page.ok()) throw std::runtime_error("storage list failed: " + page.error);
        const auto j = json::parse(page.output);
        for (const auto& item : j.value("items", json::array())) {
          const std::string key = item.value("key", "");
          const bool used =
              !tx.Exec("SELECT 1 FROM " + tenant.Schema() + ".documents WHERE storage_key = $1",
                       key)
                   .Empty();
          if (used) continue;
          const auto gone = Storage()->Remove(key);
          if (gone.ok()) ++removed;
        }
        if (!j.contains("next_cursor") || !j["next_cursor"].is_string()) break;
        cursor = j["next_cursor"].get<std::string>();
      }
    }
  }
  return removed;
}

std::vector<SearchHit> KnowledgeService::Search(db::Transaction& tx, std::int64_t tenant,
                                                const std::string& query, int top_k, Mode mode) {
  constexpr int kCandidates = 50;
  constexpr double kRrf = 60.0;  // the usual reciprocal-rank-fusion constant
  std::map<std::int64_t, double> fused;
  const TenantSettings settings = Settings(tx);
  if (mode != Mode::kVector) {
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
        query, kCandidates, settings.text_config, QueryStopWords());
    for (int i = 0; i < r.Rows(); ++i) fused[r.Int(i, 0)] += 1.0 / (kRrf + i + 1);
  }
  if (mode != Mode::kText) {
    const auto& model = settings.embedding_model;
    const auto near = indexes_.Search(tx, tenant, model, Embed(model, {query}), kCandidates);
    for (std::size_t i = 0; i < near.size(); ++i)
      fused[near[i].second] += 1.0 / (kRrf + static_cast<double>(i) + 1);
  }
  std::vector<std::pair<double, std::int64_t>> ranked;
  for (const auto& [id, s] : fused) ranked.emplace_back(s, id);
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  if (ranked.size() > static_cast<std::size_t>(top_k))
    ranked.resize(static_cast<std::size_t>(top_k));
  // One query for all the winners; a chunk gone since it was ranked is skipped.
  std::string ids = "{";
  for (const auto& [score, id] : ranked) ids += (ids.size() > 1 ? "," : "") + std::to_string(id);
  auto r = tx.Exec(
      "SELECT c.id, c.text, c.document_id, d.title, coalesce(c.label, ''), c.page, d.kind FROM "
      "chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ANY ($1::bigint[])",
      ids + "}");
  std::map<std::int64_t, int> row_of;
  for (int i = 0; i < r.Rows(); ++i) row_of[r.Int(i, 0)] = i;
  std::vector<SearchHit> hits;
  for (const auto& [score, id] : ranked) {
    const auto it = row_of.find(id);
    if (it == row_of.end()) continue;
    const int i = it->second;
    hits.push_back({id, r.Text(i, 1), score, r.Int(i, 2), r.Text(i, 6), r.Text(i, 3), r.Text(i, 4),
                    static_cast<int>(r.Int(i, 5))});
  }
  return hits;
}

}  // namespace sloth::knowledge
