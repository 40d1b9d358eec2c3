#include "billing/payments.hpp"

#include <spdlog/spdlog.h>

namespace sloth::billing {

Payments::Payments(plugins::PluginManager& plugins, BillingConfig config)
    : config_(std::move(config)),
      instance_(plugins, config_.payment_plugin, "billing", "billing: payment") {}

void Payments::Start() {
  if (config_.payment_plugin.empty()) {
    spdlog::info("billing: no payment plugin configured; checkout is unavailable");
    return;
  }
  if (instance_.Start())
    spdlog::info("billing: payments through plugin {}", config_.payment_plugin);
}

void Payments::Stop() {
  instance_.Stop();
}

std::shared_ptr<plugins::PluginInstance> Payments::instance() const {
  return instance_.Get();
}

}  // namespace sloth::billing
