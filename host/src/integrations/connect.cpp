#include "integrations/connect.hpp"

#include <date/date.h>
#include <spdlog/spdlog.h>

#include "errors/error.hpp"
#include "integrations/plan_gate.hpp"

namespace sloth::integrations {

using json = nlohmann::json;

namespace {

// A calendar has no webhook to register: a one-minute free/busy query of its default
// calendar proves the credentials.
plugins::CallOutcome Verify(plugins::PluginInstance& inst, const std::string& public_url,
                            const std::string& plugin_id, const std::string& id) {
  if (inst.plugin().manifest.kind_bits & SLOTH_KIND_CHANNEL) {
    json request = json::object();
    if (!public_url.empty()) request["webhook_url"] = public_url + "/hooks/" + plugin_id + "/" + id;
    return inst.Connect(request.dump());
  }
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  auto outcome =
      inst.FreeBusy(json{{"time_min", date::format("%FT%TZ", now)},
                         {"time_max", date::format("%FT%TZ", now + std::chrono::minutes(1))}}
                        .dump());
  if (outcome.ok()) outcome.output = json{{"mode", "calendar"}}.dump();
  return outcome;
}

}  // namespace

Connected Connect(db::Pool& pool, IntegrationRuntime& runtime, const std::string& public_url,
                  std::int64_t tenant, const std::string& plugin_id, const json& body) {
  const auto plugin = runtime.plugins().Find(plugin_id);
  if (!plugin) throw errors::Error::NotFound("no such plugin", "plugin");
  if (!(plugin->manifest.kind_bits & (SLOTH_KIND_CHANNEL | SLOTH_KIND_CALENDAR))) {
    throw errors::Error::InvalidArgument(
        "plugin " + plugin_id + " is not connected per organisation", "plugin");
  }
  const auto& feature = plugin->manifest.feature;
  const std::optional<std::string> gated =
      feature.empty() ? std::nullopt : std::optional<std::string>(feature);
  // Held across the provider's verification; a connect to a slow endpoint is one of them.
  const auto slot = runtime.plugins().tenant_calls().Acquire(tenant);
  IntegrationRepository repo;
  const std::string id = pool.InTenant(db::TenantId{tenant}, [&](db::Transaction& tx) {
    PlanGate().CheckCanEnable(tx, tenant, gated);
    return repo.NewId(tx);
  });
  std::shared_ptr<plugins::PluginInstance> inst;
  try {
    inst = runtime.plugins().CreateInstance(plugin_id, {id, tenant, body});
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
  const auto connected = Verify(*inst, public_url, plugin_id, id);
  if (!connected.ok()) {
    inst->Stop();
    if (connected.status == SLOTH_UNAUTHENTICATED || connected.status == SLOTH_INVALID_ARGUMENT ||
        connected.status == SLOTH_NOT_FOUND) {
      throw errors::Error(errors::Code::kInvalidArgument, connected.error, "",
                          {{"reason", "provider_refused"}});
    }
    throw errors::Error(errors::Code::kProviderError, connected.error);
  }
  json connection = json::parse(connected.output.empty() ? "{}" : connected.output, nullptr, false);
  if (!connection.is_object()) connection = json::object();
  const json config = inst->spec().config;
  std::optional<Integration> row;
  try {
    row = pool.InTenant(db::TenantId{tenant}, [&](db::Transaction& tx) {
      PlanGate().CheckCanEnable(tx, tenant, gated);
      repo.Insert(tx, id, tenant, plugin_id, feature, runtime.box().Seal(config.dump()),
                  connection);
      return repo.FindForTenant(tx, tenant, id);
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
  spdlog::info("integrations: tenant {} connected {} ({}, {})", tenant, plugin_id, id,
               connection.value("mode", "?"));
  return {*row, config, plugin->manifest.config_schema};
}

}  // namespace sloth::integrations
