#include "knowledge/knowledge_routes.hpp"

#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/MultipartReader.h>
#include <Poco/Net/NameValueCollection.h>

#include <limits>
#include <optional>
#include <tuple>

#include "api/validation.hpp"
#include "http/api_error.hpp"
#include "http/body_stream.hpp"

namespace sloth::knowledge {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxTitleBytes = 1200;  // 300 characters of any script

struct Form {
  std::optional<KnowledgeService::StoredFile> file;
  std::string title;
};

// The multipart body as it arrives: the file part goes straight to storage; a small title
// part is kept; anything else is skipped. A failure after the file was stored discards it.
Form ReadMultipart(const http::Request& req, KnowledgeService& service, std::int64_t tenant,
                   const KnowledgeService::UploadKind& kind) {
  const auto type = req.Header("Content-Type");
  if (!type || type->find("multipart/form-data") == std::string::npos)
    throw http::ApiError(415, "unsupported_media_type", "send multipart/form-data with a file part",
                         "file");
  std::string boundary;
  try {
    std::string value;
    Poco::Net::NameValueCollection params;
    Poco::Net::MessageHeader::splitParameters(*type, value, params);
    boundary = params.get("boundary", "");
  } catch (const std::exception&) {
  }
  if (boundary.empty())
    throw http::ApiError(400, "invalid_argument", "the multipart boundary is missing", "file");
  if (!req.body_stream) throw std::logic_error("upload routes stream their body");
  Form f;
  try {
    Poco::Net::MultipartReader reader(*req.body_stream, boundary);
    while (reader.hasNextPart()) {
      Poco::Net::MessageHeader h;
      reader.nextPart(h);
      std::string disposition;
      Poco::Net::NameValueCollection params;
      Poco::Net::MessageHeader::splitParameters(h.get("Content-Disposition", ""), disposition,
                                                params);
      const std::string name = params.get("name", "");
      auto& part = reader.stream();
      if (name == "file") {
        if (f.file)
          throw http::ApiError(400, "invalid_argument", "send one file per upload", "file");
        f.file = service.Receive(tenant, kind, params.get("filename", ""), part);
      } else if (name == "title") {
        std::string title(kMaxTitleBytes + 1, '\0');
        part.read(title.data(), static_cast<std::streamsize>(title.size()));
        title.resize(static_cast<std::size_t>(part.gcount()));
        if (title.size() > kMaxTitleBytes || !ValidUtf8(title))
          throw http::ApiError(400, "invalid_argument",
                               "the title must be UTF-8 text of at most " +
                                   std::to_string(kMaxTitleBytes) + " bytes",
                               "title");
        f.title = std::move(title);
      }
      part.ignore(std::numeric_limits<std::streamsize>::max());
    }
    // The reader also stops when the connection drops mid-part; only the closing boundary
    // says the body is whole.
    if (req.body_stream->tail().find("--" + boundary + "--") == std::string::npos)
      throw http::ApiError(400, "invalid_argument",
                           "the body ended before the closing multipart boundary", "file");
  } catch (const Poco::Exception& e) {
    if (f.file) service.Discard(*f.file);
    throw http::ApiError(400, "invalid_argument", "malformed multipart body: " + e.displayText(),
                         "file");
  } catch (...) {
    if (f.file) service.Discard(*f.file);
    throw;
  }
  if (!f.file) throw http::ApiError(400, "invalid_argument", "the form has no file part", "file");
  return f;
}

http::Response Upload(api::StreamContext& ctx, KnowledgeService& service,
                      const KnowledgeService::UploadKind& kind) {
  service.CheckQuota(ctx.pool, ctx.tenant(), kind);
  const Form f = ReadMultipart(ctx.request, service, ctx.tenant(), kind);
  try {
    return http::Response::Json(
        202, ctx.pool.InTenant(db::TenantId{ctx.tenant()}, [&](db::Transaction& tx) {
          return service.Record(tx, ctx.tenant(), kind, *f.file, f.title);
        }));
  } catch (...) {
    service.Discard(*f.file);
    throw;
  }
}

json Status(const db::Result& r, int i) {
  return {{"id", r.Int(i, 0)},          {"title", r.Text(i, 1)},
          {"format", r.Text(i, 2)},     {"size_bytes", r.Int(i, 3)},
          {"status", r.Text(i, 4)},     {"error", api::TextOrNull(r, i, 5)},
          {"chunk_count", r.Int(i, 6)}, {"created_at", r.Text(i, 7)}};
}

constexpr const char* kColumns =
    "id, title, format, size_bytes, status, error, chunk_count, public.rfc3339(created_at)";

}  // namespace

void AddRoutes(api::Api& api, KnowledgeService& service) {
  http::RouteOptions upload;
  // Room for the form around the file, so an oversized file is told apart (413 "file").
  upload.max_body_bytes = static_cast<std::int64_t>(service.options().max_upload_bytes) + (1 << 20);
  api.AddStreaming(
      "POST", "/api/documents/upload", api::Access::kTenant,
      [&service](api::StreamContext& ctx) {
        return Upload(ctx, service, KnowledgeService::kDocument);
      },
      upload);
  api.AddStreaming(
      "POST", "/api/photos/upload", api::Access::kTenant,
      [&service](api::StreamContext& ctx) {
        return Upload(ctx, service, KnowledgeService::kPhoto);
      },
      upload);

  api.Add("GET", "/api/photos/{id}/analysis", api::Access::kTenant, [](api::Context& ctx) {
    const auto id = api::IdParam(ctx.request.Param("id"), "id");
    auto r = ctx.tx.Exec(std::string("SELECT ") + kColumns +
                             ", analysis::text FROM documents WHERE id = $1 AND kind = 'photo'",
                         id);
    if (r.Empty()) throw http::ApiError(404, "not_found", "no such photo", "id");
    json out = Status(r, 0);
    out["analysis"] = r.IsNull(0, 8) ? json(nullptr) : json::parse(r.Text(0, 8));
    return http::Response::Json(200, out);
  });

  api.Add("GET", "/api/documents/{id}/status", api::Access::kTenant, [](api::Context& ctx) {
    const auto id = api::IdParam(ctx.request.Param("id"), "id");
    auto r = ctx.tx.Exec(std::string("SELECT ") + kColumns + " FROM documents WHERE id = $1", id);
    if (r.Empty()) throw http::ApiError(404, "not_found", "no such document", "id");
    return http::Response::Json(200, Status(r, 0));
  });

  // Documents and photos are one table told apart by kind: the same list and delete.
  for (const auto& [path, kind, noun] : {std::tuple{"/api/documents", "document", "document"},
                                         std::tuple{"/api/photos", "photo", "photo"}}) {
    const std::string k = kind, what = noun;
    api.Add("GET", path, api::Access::kTenant, [k](api::Context& ctx) {
      const auto page = api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"));
      auto r = ctx.tx.Exec(std::string("SELECT ") + kColumns +
                               " FROM documents WHERE kind = $3 AND id > $1 ORDER BY id LIMIT $2",
                           page.after, page.limit + 1, k);
      return http::Response::Json(200, api::PageOfRows(r, page, Status));
    });
    api.Add("DELETE", std::string(path) + "/{id}", api::Access::kTenant,
            [&service, k, what](api::Context& ctx) {
              const auto id = api::IdParam(ctx.request.Param("id"), "id");
              if (!service.Delete(ctx.tx, ctx.tenant(), id, k))
                throw http::ApiError(404, "not_found", "no such " + what, "id");
              return http::Response::NoContent();
            });
  }

  auto settings_json = [&service](const TenantSettings& t) {
    return json{{"chunk_size", t.chunks.size},
                {"chunk_overlap", t.chunks.overlap},
                {"text_search_config", t.text_config},
                {"embedding_model", t.embedding_model},
                {"embedding_models", service.ModelNames()}};
  };
  api.Add("GET", "/api/knowledge/settings", api::Access::kTenant,
          [&service, settings_json](api::Context& ctx) {
            return http::Response::Json(200, settings_json(service.Settings(ctx.tx)));
          });
  api.Add("PUT", "/api/knowledge/settings", api::Access::kOwner,
          [&service, settings_json](api::Context& ctx) {
            const auto body = ctx.request.Json();
            api::OnlyFields(body, {"chunk_size", "chunk_overlap", "language", "embedding_model"});
            return http::Response::Json(
                200, settings_json(service.UpdateSettings(ctx.tx, ctx.tenant(), body)));
          });

  api.Add("POST", "/api/knowledge/rebuild", api::Access::kOwner, [&service](api::Context& ctx) {
    const auto stale = service.QueueRebuild(ctx.tx, ctx.tenant());
    return http::Response::Json(202, {{"stale_chunks", stale}, {"queued", stale > 0}});
  });

  api.Add("POST", "/api/knowledge/search", api::Access::kTenant, [&service](api::Context& ctx) {
    const auto body = ctx.request.Json();
    api::OnlyFields(body, {"query", "top_k", "mode"});
    const std::string query = api::RequiredString(body, "query", 1000);
    const int top_k = body.value("top_k", 5);
    if (top_k < 1 || top_k > 50)
      throw http::ApiError(400, "invalid_argument", "top_k must be between 1 and 50", "top_k");
    const std::string m = api::OptionalString(body, "mode", 10).value_or("hybrid");
    if (m != "hybrid" && m != "vector" && m != "text")
      throw http::ApiError(400, "invalid_argument", "mode must be hybrid, vector or text", "mode");
    const Mode mode = m == "vector" ? Mode::kVector : m == "text" ? Mode::kText : Mode::kHybrid;
    json results = json::array();
    for (const auto& h : service.Search(ctx.tx, ctx.tenant(), query, top_k, mode)) {
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
