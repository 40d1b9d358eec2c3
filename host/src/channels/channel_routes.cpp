#include "channels/channel_routes.hpp"

#include <spdlog/spdlog.h>

#include "api/validation.hpp"
#include "errors/error.hpp"

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

void AddWebhookRoutes(api::Api& api, db::Pool& pool, integrations::IntegrationRuntime& runtime,
                      Inbound& inbound) {
  auto handler = [&pool, &runtime, &inbound](http::Request& req) {
    const auto row = pool.InTransaction(db::kReadOnly, [&](db::Transaction& tx) {
      return integrations::IntegrationRepository().Find(tx, req.Param("integration"));
    });
    if (!row || row->plugin_id != req.Param("plugin"))
      throw errors::Error(errors::Code::kNotFound, "no such integration", "integration");
    if (row->status == "disconnected")
      throw errors::Error(errors::Code::kGone, "the integration was disconnected", "integration");
    if (row->status == "disabled") {
      throw errors::Error(errors::Code::kForbidden,
                          row->disabled_reason.value_or("the integration is disabled"),
                          "integration", {{"reason", "integration_disabled"}});
    }
    std::shared_ptr<plugins::PluginInstance> inst;
    try {
      inst = runtime.Instance(*row);
    } catch (const std::exception& e) {
      spdlog::error("channels: integration {} cannot start: {}", row->id, e.what());
      throw errors::Error(errors::Code::kUnavailable, "the integration cannot start right now");
    }
    plugins::PluginInstance::Webhook hook;
    hook.method = req.method;
    hook.query = RawQuery(req);
    hook.body = req.body;
    for (const auto& [k, v] : req.headers) hook.headers.emplace_back(k, v);
    const auto out = inst->ChannelWebhook(hook);
    if (out.status == SLOTH_UNAUTHENTICATED) {
      spdlog::warn("channels: {} webhook for {} refused: {}", row->plugin_id, row->id, out.error);
      throw errors::Error(errors::Code::kForbidden, out.error, "signature");
    }
    if (out.status == SLOTH_INVALID_ARGUMENT) {
      spdlog::warn("channels: {} webhook for {} malformed: {}", row->plugin_id, row->id, out.error);
      throw errors::Error(errors::Code::kInvalidArgument, out.error, "body",
                          {{"reason", "invalid_payload"}});
    }
    if (!out.ok()) throw errors::Error(errors::Code::kUnavailable, out.error);
    const auto parsed = json::parse(out.output.empty() ? "{}" : out.output, nullptr, false);
    if (!parsed.is_object())
      throw errors::Error(errors::Code::kUnavailable, "the plugin answered no JSON");
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
  api.AddWebhook("POST", "/hooks/{plugin}/{integration}", handler);
  api.AddWebhook("GET", "/hooks/{plugin}/{integration}", handler);
}

}  // namespace sloth::channels
