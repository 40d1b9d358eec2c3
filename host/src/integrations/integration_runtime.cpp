#include "integrations/integration_runtime.hpp"

#include <spdlog/spdlog.h>

namespace sloth::integrations {

nlohmann::json IntegrationRuntime::OpenConfig(const Integration& row) const {
  if (row.sealed_config.empty()) return nlohmann::json::object();
  return nlohmann::json::parse(box_.Open(row.sealed_config));
}

std::shared_ptr<plugins::PluginInstance> IntegrationRuntime::Instance(const Integration& row) {
  {
    std::lock_guard lock(mu_);
    auto it = live_.find(row.id);
    if (it != live_.end() && it->second.updated_at == row.updated_at &&
        it->second.instance->state() == plugins::PluginInstance::State::kStarted) {
      return it->second.instance;
    }
  }
  plugins::InstanceSpec spec;
  spec.instance_id = row.id;
  spec.tenant_id = row.tenant_id;
  spec.config = OpenConfig(row);
  auto inst = plugins_.CreateInstance(row.plugin_id, std::move(spec));
  const auto started = inst->Start();
  if (!started.ok()) throw plugins::PluginError(started.status, started.error);
  std::shared_ptr<plugins::PluginInstance> old;
  {
    std::lock_guard lock(mu_);
    auto& e = live_[row.id];
    old = std::move(e.instance);
    e = {inst, row.updated_at};
  }
  if (old) old->Stop();
  return inst;
}

void IntegrationRuntime::Adopt(const Integration& row,
                               std::shared_ptr<plugins::PluginInstance> instance) {
  std::shared_ptr<plugins::PluginInstance> old;
  {
    std::lock_guard lock(mu_);
    auto& e = live_[row.id];
    old = std::move(e.instance);
    e = {std::move(instance), row.updated_at};
  }
  if (old) old->Stop();
}

void IntegrationRuntime::Forget(const std::string& id) {
  std::shared_ptr<plugins::PluginInstance> old;
  {
    std::lock_guard lock(mu_);
    auto it = live_.find(id);
    if (it == live_.end()) return;
    old = std::move(it->second.instance);
    live_.erase(it);
  }
  old->Stop();
}

void IntegrationRuntime::StopAll() {
  std::map<std::string, Entry> all;
  {
    std::lock_guard lock(mu_);
    all.swap(live_);
  }
  for (auto& [id, e] : all) e.instance->Stop();
}

}  // namespace sloth::integrations
