#include "integrations/integration_routes.hpp"

#include <spdlog/spdlog.h>

#include "api/validation.hpp"
#include "errors/error.hpp"
#include "integrations/connect.hpp"

namespace sloth::integrations {
namespace {

using json = nlohmann::json;

// The config without the fields the plugin's schema marks secret: those never leave.
json PublicConfig(const json& config, const json& schema) {
  json out = json::object();
  if (!config.is_object()) return out;
  const json props = schema.value("properties", json::object());
  for (const auto& [k, v] : config.items()) {
    const json p = props.value(k, json::object());
    if (p.is_object() && p.value("secret", false)) continue;
    out[k] = v;
  }
  return out;
}

json ToJson(const Integration& i, const json& config) {
  auto opt = [](const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); };
  return {{"id", i.id},
          {"plugin", i.plugin_id},
          {"status", i.status},
          {"disabled_reason", opt(i.disabled_reason)},
          {"connection", i.connection},
          {"config", config},
          {"stats",
           {{"received", i.received},
            {"sent", i.sent},
            {"last_activity_at", opt(i.last_activity_at)},
            {"last_error", opt(i.last_error)},
            {"last_error_at", opt(i.last_error_at)}}},
          {"created_at", i.created_at}};
}

}  // namespace

nlohmann::json IntegrationJson(const Connected& c) {
  return ToJson(c.row, PublicConfig(c.config, c.schema));
}

void AddRoutes(api::Api& api, IntegrationRuntime& runtime, std::string public_url,
               std::function<void()> on_change) {
  api.Add("GET", "/api/integrations", api::Access::kTenant, [&runtime](api::Context& ctx) {
    json items = json::array();
    for (const auto& i : IntegrationRepository().List(ctx.tx, ctx.tenant(), 500)) {
      json config = json::object();
      if (const auto p = runtime.plugins().Find(i.plugin_id)) {
        try {
          config = PublicConfig(runtime.OpenConfig(i), p->manifest.config_schema);
        } catch (const std::exception& e) {
          spdlog::error("integrations: {} credentials unreadable: {}", i.id, e.what());
        }
      }
      items.push_back(ToJson(i, config));
    }
    return http::Response::Json(200, {{"items", items}, {"next_cursor", nullptr}});
  });

  api.AddPooled("POST", "/api/integrations/{plugin}/connect", api::Access::kOwner,
                [&runtime, public_url, on_change](api::PooledContext& ctx) {
                  const auto done = Connect(ctx.pool, runtime, public_url, ctx.tenant(),
                                            ctx.request.Param("plugin"), ctx.request.Json());
                  if (on_change) on_change();
                  return http::Response::Json(201, IntegrationJson(done));
                });

  api.AddPooled(
      "DELETE", "/api/integrations/{id}", api::Access::kOwner,
      [&runtime, on_change](api::PooledContext& ctx) {
        IntegrationRepository repo;
        const auto row = ctx.InTenant([&](db::Transaction& tx) {
          return repo.FindForTenant(tx, ctx.tenant(), ctx.request.Param("id"));
        });
        if (!row || row->status == "disconnected")
          throw errors::Error::NotFound("no such integration", "id");
        try {
          // Undo the provider side (delete the webhook); a failure is logged, not fatal: the
          // credentials are wiped either way.
          const auto out = runtime.Instance(*row)->Disconnect();
          if (!out.ok() && out.status != SLOTH_UNSUPPORTED)
            spdlog::warn("integrations: disconnect of {} at the provider: {}", row->id, out.error);
        } catch (const std::exception& e) {
          spdlog::warn("integrations: disconnect of {} at the provider: {}", row->id, e.what());
        }
        ctx.InTenant([&](db::Transaction& tx) { repo.Disconnect(tx, ctx.tenant(), row->id); });
        runtime.Forget(row->id);
        if (on_change) on_change();
        return http::Response::NoContent();
      });
}

}  // namespace sloth::integrations
