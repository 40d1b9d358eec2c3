#pragma once

// Live plugin instances of connected integrations: created from the sealed config on first
// use (a webhook, a send, a poll) and kept; recreated when the integration changed; stopped
// on disconnect and at shutdown.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "crypto/secret_box.hpp"
#include "integrations/integration_repository.hpp"
#include "plugins/plugin_manager.hpp"

namespace sloth::integrations {

class IntegrationRuntime {
 public:
  IntegrationRuntime(plugins::PluginManager& plugins, const crypto::SecretBox& box)
      : plugins_(plugins), box_(box) {}
  ~IntegrationRuntime() { StopAll(); }

  // Throws plugins::PluginError when the plugin is missing or will not start.
  std::shared_ptr<plugins::PluginInstance> Instance(const Integration& row);
  // Adds a freshly created (and started) instance for a new integration.
  void Adopt(const Integration& row, std::shared_ptr<plugins::PluginInstance> instance);
  void Forget(const std::string& id);
  void StopAll();

  nlohmann::json OpenConfig(const Integration& row) const;
  const crypto::SecretBox& box() const { return box_; }
  plugins::PluginManager& plugins() { return plugins_; }

 private:
  struct Entry {
    std::shared_ptr<plugins::PluginInstance> instance;
    std::string updated_at;
  };
  plugins::PluginManager& plugins_;
  const crypto::SecretBox& box_;
  std::mutex mu_;
  std::map<std::string, Entry> live_;
};

}  // namespace sloth::integrations
