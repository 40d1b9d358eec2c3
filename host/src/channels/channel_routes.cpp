#include "channels/channel_routes.hpp"

#include <spdlog/spdlog.h>

#include "api/validation.hpp"
#include "http/api_error.hpp"

namespace sloth::channels {
namespace {

using json = nlohmann::json;

std::string RawQuery(const http::Request& req) {
  std::string q;
  for (const auto& [k, v] : req.query) {
    if (!q.empty()) q += '&';
    q += k + "=" + v;  // decoded values: plugins read parameters, not signatures, from it
  }
  return q;
}

}  // namespace

void AddWebhookRoutes(http::Router& router, db::Pool& pool,
                      integrations::IntegrationRuntime& runtime, Inbound& inbound) {
  auto handler = [&pool, &runtime, &inbound](http::Request& req) {
    const auto row = pool.InTransaction([&](db::Transaction& tx) {
      return integrations::IntegrationRepository().Find(tx, req.Param("integration"));
    });
    if (!row || row->plugin_id != req.Param("plugin"))
      throw http::ApiError(404, "not_found", "no such integration", "integration");
    if (row->status == "disconnected")
      throw http::ApiError(410, "gone", "the integration was disconnected", "integration");
    if (row->status == "disabled") {
      throw http::ApiError(403, "integration_disabled",
                           row->disabled_reason.value_or("the integration is disabled"),
                           "integration");
    }
    std::shared_ptr<plugins::PluginInstance> inst;
    try {
      inst = runtime.Instance(*row);
    } catch (const std::exception& e) {
      spdlog::error("channels: integration {} cannot start: {}", row->id, e.what());
      throw http::ApiError(503, "unavailable", "the integration cannot start right now");
    }
    plugins::PluginInstance::Webhook hook;
    hook.method = req.method;
    hook.query = RawQuery(req);
    hook.body = req.body;
    for (const auto& [k, v] : req.headers) hook.headers.emplace_back(k, v);
    const auto out = inst->ChannelWebhook(hook);
    if (out.status == SLOTH_UNAUTHENTICATED) {
      spdlog::warn("channels: {} webhook for {} refused: {}", row->plugin_id, row->id, out.error);
      throw http::ApiError(403, "forbidden", out.error, "signature");
    }
    if (out.status == SLOTH_INVALID_ARGUMENT) {
      spdlog::warn("channels: {} webhook for {} malformed: {}", row->plugin_id, row->id, out.error);
      throw http::ApiError(400, "invalid_payload", out.error, "body");
    }
    if (!out.ok()) throw http::ApiError(503, "unavailable", out.error);
    const auto parsed = json::parse(out.output.empty() ? "{}" : out.output, nullptr, false);
    if (!parsed.is_object())
      throw http::ApiError(503, "unavailable", "the plugin answered no JSON");
    if (parsed.contains("events") && !parsed["events"].empty()) {
      const auto r = inbound.Store(*row, parsed["events"]);
      if (r.duplicates) {
        spdlog::info("channels: {} redelivered {} event(s) for {}", row->plugin_id, r.duplicates,
                     row->id);
      }
    }
    // Stored (or nothing to store): now the provider may forget it.
    const json resp = parsed.value("response", json::object());
    const int status = resp.value("status", 200);
    if (resp.contains("body")) {
      return http::Response::Text(status, resp.value("body", ""),
                                  resp.value("content_type", "text/plain; charset=utf-8"));
    }
    return http::Response::Json(status, {{"ok", true}});
  };
  router.Add("POST", "/hooks/{plugin}/{integration}", handler);
  router.Add("GET", "/hooks/{plugin}/{integration}", handler);
}

void AddConversationRoutes(api::Api& api) {
  api.Add("GET", "/api/conversations", api::Access::kTenant, [](api::Context& ctx) {
    const auto page = api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"));
    const auto source = ctx.request.Query("source");
    if (source && (source->empty() || source->size() > 64))
      throw http::ApiError(400, "invalid_argument", "source must be a plugin id", "source");
    // Newest first: the cursor is the last id seen (ids only grow).
    auto r = ctx.tx.Exec(
        "SELECT id, source, integration_id::text, external_chat_id, customer_name, "
        "customer_language, message_count, public.rfc3339(last_message_at), "
        "public.rfc3339(created_at), (SELECT left(text, 200) FROM messages m WHERE "
        "m.conversation_id = c.id ORDER BY id DESC LIMIT 1) FROM conversations c WHERE ($1::text "
        "IS NULL OR source = $1) AND ($2::bigint = 0 OR id < $2) ORDER BY id DESC LIMIT $3",
        source, page.after, page.limit + 1);
    return http::Response::Json(200, api::PageOfRows(r, page, [](const db::Result& x, int i) {
                                  return json{{"id", x.Int(i, 0)},
                                              {"source", x.Text(i, 1)},
                                              {"integration_id", api::TextOrNull(x, i, 2)},
                                              {"external_chat_id", api::TextOrNull(x, i, 3)},
                                              {"customer_name", api::TextOrNull(x, i, 4)},
                                              {"customer_language", api::TextOrNull(x, i, 5)},
                                              {"message_count", x.Int(i, 6)},
                                              {"last_message_at", api::TextOrNull(x, i, 7)},
                                              {"created_at", x.Text(i, 8)},
                                              {"last_message", api::TextOrNull(x, i, 9)}};
                                }));
  });

  api.Add("GET", "/api/conversations/{id}", api::Access::kTenant, [](api::Context& ctx) {
    const auto id = api::IdParam(ctx.request.Param("id"), "id");
    auto c = ctx.tx.Exec(
        "SELECT source, customer_name, public.rfc3339(created_at) FROM conversations WHERE id = $1",
        id);
    if (c.Empty()) throw http::ApiError(404, "not_found", "no such conversation", "id");
    const auto page =
        api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"), 100, 500);
    auto m = ctx.tx.Exec(
        "SELECT id, direction, text, status, error, public.rfc3339(created_at), "
        "public.rfc3339(sent_at) FROM messages WHERE conversation_id = $1 AND id > $2 ORDER BY id "
        "LIMIT $3",
        id, page.after, page.limit + 1);
    const json messages = api::PageOfRows(m, page, [](const db::Result& x, int i) {
      return json{{"id", x.Int(i, 0)},
                  {"direction", x.Text(i, 1)},
                  {"text", api::TextOrNull(x, i, 2)},
                  {"status", x.Text(i, 3)},
                  {"error", api::TextOrNull(x, i, 4)},
                  {"created_at", x.Text(i, 5)},
                  {"sent_at", api::TextOrNull(x, i, 6)}};
    });
    return http::Response::Json(200, {{"id", id},
                                      {"source", c.Text(0, 0)},
                                      {"customer_name", api::TextOrNull(c, 0, 1)},
                                      {"created_at", c.Text(0, 2)},
                                      {"messages", messages}});
  });
}

}  // namespace sloth::channels
