#include "integrations/integration_routes.hpp"

#include <spdlog/spdlog.h>

#include "api/validation.hpp"
#include "errors/error.hpp"
#include "integrations/plan_gate.hpp"

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

  // Connecting asks the provider to verify the credentials (and set up its webhook), so
  // it runs between transactions: the plan is checked first, the provider called with no
  // transaction or row lock held, and the plan checked again under the subscription's row
  // lock when the integration is recorded (two connects at once cannot both pass the limit).
  api.AddPooled(
      "POST", "/api/integrations/{plugin}/connect", api::Access::kOwner,
      [&runtime, public_url, on_change](api::PooledContext& ctx) {
        const std::string plugin_id = ctx.request.Param("plugin");
        const auto plugin = runtime.plugins().Find(plugin_id);
        if (!plugin) throw errors::Error::NotFound("no such plugin", "plugin");
        if (!(plugin->manifest.kind_bits & (SLOTH_KIND_CHANNEL | SLOTH_KIND_CALENDAR))) {
          throw errors::Error::InvalidArgument(
              "plugin " + plugin_id + " is not connected per organisation", "plugin");
        }
        const json body = ctx.request.Json();
        const auto& feature = plugin->manifest.feature;
        const std::optional<std::string> gated =
            feature.empty() ? std::nullopt : std::optional<std::string>(feature);
        IntegrationRepository repo;
        const std::string id = ctx.InTenant([&](db::Transaction& tx) {
          PlanGate().CheckCanEnable(tx, ctx.tenant(), gated);
          return repo.NewId(tx);
        });
        std::shared_ptr<plugins::PluginInstance> inst;
        try {
          inst = runtime.plugins().CreateInstance(plugin_id, {id, ctx.tenant(), body});
        } catch (const plugins::ConfigInvalid& e) {
          throw errors::Error(errors::Code::kInvalidArgument, e.what(), e.field(),
                              {{"reason", "invalid_config"}});
        } catch (const plugins::PluginError& e) {
          throw errors::Error(errors::Code::kInvalidArgument, e.what(), "",
                              {{"reason", "invalid_config"}});
        }
        const auto started = inst->Start();
        if (!started.ok()) {
          inst->Stop();
          throw errors::Error(errors::Code::kInvalidArgument, started.error, "",
                              {{"reason", "invalid_config"}});
        }
        json request = json::object();
        if (!public_url.empty())
          request["webhook_url"] = public_url + "/hooks/" + plugin_id + "/" + id;
        const auto connected = inst->Connect(request.dump());
        if (!connected.ok()) {
          inst->Stop();
          if (connected.status == SLOTH_UNAUTHENTICATED ||
              connected.status == SLOTH_INVALID_ARGUMENT) {
            throw errors::Error(errors::Code::kInvalidArgument, connected.error, "",
                                {{"reason", "provider_refused"}});
          }
          throw errors::Error(errors::Code::kProviderError, connected.error);
        }
        json connection =
            json::parse(connected.output.empty() ? "{}" : connected.output, nullptr, false);
        if (!connection.is_object()) connection = json::object();
        const json config = inst->spec().config;
        std::optional<Integration> row;
        try {
          row = ctx.InTenant([&](db::Transaction& tx) {
            PlanGate().CheckCanEnable(tx, ctx.tenant(), gated);
            repo.Insert(tx, id, ctx.tenant(), plugin_id, feature, runtime.box().Seal(config.dump()),
                        connection);
            return repo.FindForTenant(tx, ctx.tenant(), id);
          });
        } catch (...) {
          // Refused after the provider was set up (the plan changed meanwhile): undo it there.
          const auto out = inst->Disconnect();
          if (!out.ok() && out.status != SLOTH_UNSUPPORTED)
            spdlog::warn("integrations: undoing connect of {} at the provider: {}", id, out.error);
          inst->Stop();
          throw;
        }
        runtime.Adopt(*row, inst);
        spdlog::info("integrations: tenant {} connected {} ({}, {})", ctx.tenant(), plugin_id, id,
                     connection.value("mode", "?"));
        if (on_change) on_change();
        return http::Response::Json(
            201, ToJson(*row, PublicConfig(config, plugin->manifest.config_schema)));
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
