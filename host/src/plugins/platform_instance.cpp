#include "plugins/platform_instance.hpp"

#include <spdlog/spdlog.h>

namespace sloth::plugins {

bool PlatformInstance::Start() {
  try {
    InstanceSpec spec;
    spec.instance_id = instance_id_;
    const auto& all = plugins_.context().plugin_configs;
    if (all.contains(plugin_id_)) spec.config = all[plugin_id_];
    if (overrides_.is_object() && !overrides_.empty()) {
      if (!spec.config.is_object()) spec.config = nlohmann::json::object();
      spec.config.merge_patch(overrides_);
    }
    auto inst = plugins_.CreateInstance(plugin_id_, std::move(spec));
    const auto started = inst->Start();
    if (!started.ok()) throw PluginError(started.status, started.error);
    std::lock_guard lock(mu_);
    instance_ = std::move(inst);
    return true;
  } catch (const std::exception& e) {
    spdlog::error("{}: plugin {} unavailable: {}", what_, plugin_id_, e.what());
    return false;
  }
}

void PlatformInstance::Stop() {
  std::shared_ptr<PluginInstance> inst;
  {
    std::lock_guard lock(mu_);
    inst = std::move(instance_);
  }
  if (inst) inst->Stop();
}

std::shared_ptr<PluginInstance> PlatformInstance::Get() const {
  std::lock_guard lock(mu_);
  return instance_;
}

}  // namespace sloth::plugins
