#pragma once

// The platform's payment provider: one platform-wide instance of the configured payment
// plugin (billing.payment_plugin, config from plugins.config.<id>, secrets from the
// environment). Checkout and cancel go out through it; provider webhooks at
// /hooks/billing/{plugin} come in through it and are applied by the Lifecycle.

#include <memory>
#include <mutex>
#include <string>

#include "billing/billing_config.hpp"
#include "plugins/platform_instance.hpp"

namespace sloth::billing {

class Payments {
 public:
  Payments(plugins::PluginManager& plugins, BillingConfig config);

  // Creates and starts the instance; a failure is logged and checkout answers 503.
  void Start();
  void Stop();

  const std::string& provider() const { return config_.payment_plugin; }
  const BillingConfig& config() const { return config_; }
  // Null when no provider is configured or it failed to start.
  std::shared_ptr<plugins::PluginInstance> instance() const;

 private:
  BillingConfig config_;
  plugins::PlatformInstance instance_;
};

}  // namespace sloth::billing
