#include "knowledge/knowledge_routes.hpp"

#include <optional>
#include <tuple>

#include "api/validation.hpp"
#include "errors/error.hpp"
#include "http/body_stream.hpp"
#include "knowledge/document_repository.hpp"
#include "knowledge/parsers.hpp"
#include "knowledge/upload_form.hpp"

namespace sloth::knowledge {
namespace {

using json = nlohmann::json;

struct Form {
  std::optional<StoredFile> file;
  std::string title;
};

// The file part goes straight to storage; a failure after it was stored discards it.
Form ReadMultipart(const http::Request& req, Uploads& service, std::int64_t tenant,
                   const UploadKind& kind) {
  const std::string boundary = FormBoundary(req.Header("Content-Type"));
  if (!req.body_stream) throw std::logic_error("upload routes stream their body");
  Form f;
  try {
    f.title = ReadUploadForm(*req.body_stream, boundary,
                             [&](const std::string& filename, std::istream& part) {
                               f.file = service.Receive(tenant, kind, filename, part);
                             });
  } catch (...) {
    if (f.file) service.Discard(*f.file);
    throw;
  }
  return f;
}

http::Response Upload(api::PooledContext& ctx, Uploads& service, const UploadKind& kind) {
  service.CheckQuota(ctx.pool, ctx.tenant(), kind);
  const Form f = ReadMultipart(ctx.request, service, ctx.tenant(), kind);
  try {
    return http::Response::Json(202, ctx.InTenant([&](db::Transaction& tx) {
      return service.Record(tx, ctx.tenant(), kind, *f.file, f.title);
    }));
  } catch (...) {
    service.Discard(*f.file);
    throw;
  }
}

json Status(const Document& d) {
  return {{"id", d.id},
          {"title", d.title},
          {"format", d.format},
          {"size_bytes", d.size_bytes},
          {"status", d.status},
          {"error", d.error ? json(*d.error) : json(nullptr)},
          {"chunk_count", d.chunk_count},
          {"created_at", d.created_at}};
}

// The settings an owner may change, read from the body; a member of the wrong type is
// refused with the same message as a value out of range.
SettingsChange ReadSettingsChange(const json& body) {
  api::OnlyFields(body, {"chunk_size", "chunk_overlap", "language", "embedding_model"});
  SettingsChange c;
  if (body.contains("chunk_size")) {
    if (!body["chunk_size"].is_number_integer())
      throw errors::Error::InvalidArgument("chunk_size must be 100..20000", "chunk_size");
    c.chunk_size = body["chunk_size"].get<std::int64_t>();
  }
  if (body.contains("chunk_overlap")) {
    if (!body["chunk_overlap"].is_number_integer())
      throw errors::Error::InvalidArgument("chunk_overlap must be >= 0", "chunk_overlap");
    c.chunk_overlap = body["chunk_overlap"].get<std::int64_t>();
  }
  if (body.contains("language"))
    c.language = body["language"].is_string() ? body["language"].get<std::string>() : "";
  if (body.contains("embedding_model")) {
    // Not a string: no model has that name, and the settings say which ones do.
    c.embedding_model =
        body["embedding_model"].is_string() ? body["embedding_model"].get<std::string>() : "";
  }
  return c;
}

}  // namespace

void AddRoutes(api::Api& api, Knowledge& knowledge, plugins::TenantCalls& calls) {
  auto& uploads = knowledge.uploads();
  http::RouteOptions upload;
  // Room for the form around the file, so an oversized file is told apart (413 "file").
  upload.max_body_bytes = static_cast<std::int64_t>(uploads.max_upload_bytes()) + (1 << 20);
  api.AddStreaming(
      "POST", "/api/documents/upload", api::Access::kTenant,
      [&uploads](api::PooledContext& ctx) { return Upload(ctx, uploads, kDocumentUpload); },
      upload);
  api.AddStreaming(
      "POST", "/api/photos/upload", api::Access::kTenant,
      [&uploads](api::PooledContext& ctx) { return Upload(ctx, uploads, kPhotoUpload); }, upload);

  api.Add("GET", "/api/photos/{id}/analysis", api::Access::kTenant, [](api::Context& ctx) {
    const auto id = api::IdParam(ctx.request.Param("id"), "id");
    const auto d = DocumentRepository().Find(ctx.tx, id, kPhotoKind);
    if (!d) throw errors::Error::NotFound("no such photo", "id");
    json out = Status(*d);
    out["analysis"] = d->analysis ? *d->analysis : json(nullptr);
    return http::Response::Json(200, out);
  });

  api.Add("GET", "/api/documents/{id}/status", api::Access::kTenant, [](api::Context& ctx) {
    const auto id = api::IdParam(ctx.request.Param("id"), "id");
    const auto d = DocumentRepository().Find(ctx.tx, id);
    if (!d) throw errors::Error::NotFound("no such document", "id");
    return http::Response::Json(200, Status(*d));
  });

  // Documents and photos are one table told apart by kind: the same list and delete.
  for (const auto& [path, kind] :
       {std::pair{"/api/documents", kDocumentKind}, std::pair{"/api/photos", kPhotoKind}}) {
    const std::string k = kind;
    api.Add("GET", path, api::Access::kTenant, [k](api::Context& ctx) {
      const auto page = api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"));
      const auto rows = DocumentRepository().List(ctx.tx, k, page.after, page.limit + 1);
      return http::Response::Json(200,
                                  api::PageJson(
                                      rows, page, [](const Document& d) { return d.id; }, Status));
    });
    api.AddPooled("DELETE", std::string(path) + "/{id}", api::Access::kTenant,
                  [&uploads, k](api::PooledContext& ctx) {
                    const auto id = api::IdParam(ctx.request.Param("id"), "id");
                    if (!uploads.Delete(ctx.pool, ctx.tenant(), id, k))
                      throw errors::Error::NotFound("no such " + k, "id");
                    return http::Response::NoContent();
                  });
  }

  auto settings_json = [&knowledge](const TenantSettings& t) {
    return json{{"chunk_size", t.chunks.size},
                {"chunk_overlap", t.chunks.overlap},
                {"text_search_config", t.text_config},
                {"embedding_model", t.embedding_model},
                {"embedding_models", knowledge.models().Names()}};
  };
  api.Add("GET", "/api/knowledge/settings", api::Access::kTenant,
          [&knowledge, settings_json](api::Context& ctx) {
            return http::Response::Json(200, settings_json(knowledge.settings().Read(ctx.tx)));
          });
  api.Add("PUT", "/api/knowledge/settings", api::Access::kOwner,
          [&knowledge, settings_json](api::Context& ctx) {
            const auto change = ReadSettingsChange(ctx.request.Json());
            return http::Response::Json(
                200, settings_json(knowledge.settings().Update(ctx.tx, ctx.tenant(), change)));
          });

  api.Add("POST", "/api/knowledge/rebuild", api::Access::kOwner, [&knowledge](api::Context& ctx) {
    const auto stale =
        QueueRebuild(ctx.tx, ctx.tenant(), knowledge.settings().Read(ctx.tx).embedding_model);
    return http::Response::Json(202, {{"stale_chunks", stale}, {"queued", stale > 0}});
  });

  // Pooled: the query is embedded with no transaction open.
  api.AddPooled(
      "POST", "/api/knowledge/search", api::Access::kTenant,
      [&knowledge, &calls](api::PooledContext& ctx) {
        const auto slot = calls.Acquire(ctx.tenant());
        const auto body = ctx.request.Json();
        api::OnlyFields(body, {"query", "top_k", "mode"});
        const std::string query = api::RequiredString(body, "query", 1000);
        const int top_k = body.value("top_k", 5);
        if (top_k < 1 || top_k > 50)
          throw errors::Error::InvalidArgument("top_k must be between 1 and 50", "top_k");
        const std::string m = api::OptionalString(body, "mode", 10).value_or("hybrid");
        if (m != "hybrid" && m != "vector" && m != "text")
          throw errors::Error::InvalidArgument("mode must be hybrid, vector or text", "mode");
        const Mode mode = m == "vector" ? Mode::kVector : m == "text" ? Mode::kText : Mode::kHybrid;
        json results = json::array();
        for (const auto& h : knowledge.retriever().Search(ctx.tenant(), query, top_k, mode)) {
          json source = {{"type", h.kind}, {"id", h.document_id}, {"title", h.title}};
          if (h.page > 0) source["page"] = h.page;
          if (!h.label.empty()) source["label"] = h.label;
          results.push_back(
              {{"chunk_id", h.chunk_id}, {"text", h.text}, {"score", h.score}, {"source", source}});
        }
        return http::Response::Json(200, {{"results", results}});
      });
}

}  // namespace sloth::knowledge
