#include "billing/payments.hpp"

#include <spdlog/spdlog.h>

namespace sloth::billing {

Payments::Payments(plugins::PluginManager& plugins, config::BillingConfig config)
    : plugins_(plugins), config_(std::move(config)) {}

Payments::~Payments() {
  Stop();
}

void Payments::Start() {
  if (config_.payment_plugin.empty()) {
    spdlog::info("billing: no payment plugin configured; checkout is unavailable");
    return;
  }
  try {
    plugins::InstanceSpec spec;
    spec.instance_id = "billing";
    const auto& all = plugins_.context().plugin_configs;
    if (all.contains(config_.payment_plugin)) spec.config = all[config_.payment_plugin];
    auto inst = plugins_.CreateInstance(config_.payment_plugin, std::move(spec));
    const auto started = inst->Start();
    if (!started.ok()) throw plugins::PluginError(started.status, started.error);
    std::lock_guard lock(mu_);
    instance_ = std::move(inst);
    spdlog::info("billing: payments through plugin {}", config_.payment_plugin);
  } catch (const std::exception& e) {
    spdlog::error("billing: payment plugin {} unavailable: {}", config_.payment_plugin, e.what());
  }
}

void Payments::Stop() {
  std::shared_ptr<plugins::PluginInstance> inst;
  {
    std::lock_guard lock(mu_);
    inst = std::move(instance_);
  }
  if (inst) inst->Stop();
}

std::shared_ptr<plugins::PluginInstance> Payments::instance() const {
  std::lock_guard lock(mu_);
  return instance_;
}

}  // namespace sloth::billing
