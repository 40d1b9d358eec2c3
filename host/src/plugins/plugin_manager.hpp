#pragma once

// Finds plugins in the configured directories, refuses incompatible or broken ones before
// (manifest) or while (descriptor, init) loading them, and creates instances with configs
// validated against each plugin's declared schema. A refused plugin costs one log line;
// the host keeps serving. Libraries are never unloaded.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "plugins/plugin_instance.hpp"
#include "plugins/tenant_calls.hpp"

namespace sloth::plugins {

struct ManagerOptions {
  std::vector<std::string> dirs;
  std::chrono::milliseconds call_timeout{30000};
  std::map<std::string, std::chrono::milliseconds, std::less<>> kind_timeouts;  // see HostContext
  std::chrono::milliseconds init_timeout{10000};
  int max_threads = 64;
  int max_calls_per_tenant = 4;  // see TenantCalls
};

// The config given for an instance does not match the plugin's schema.
class ConfigInvalid : public std::runtime_error {
 public:
  ConfigInvalid(std::string field, const std::string& message)
      : std::runtime_error(message), field_(std::move(field)) {}
  const std::string& field() const { return field_; }

 private:
  std::string field_;
};

struct LoadReport {
  std::vector<std::string> loaded;                           // plugin ids
  std::vector<std::pair<std::string, std::string>> refused;  // (path, reason)
};

class PluginManager {
 public:
  // `context` supplies pool, http, metrics, env and emit; the manager sets its executor and
  // call timeout.
  PluginManager(ManagerOptions options, HostContext context);
  ~PluginManager();

  // Scans every directory for plugin.json files (the directory itself and its children).
  LoadReport LoadAll();
  // Loads one plugin from its manifest. Returns the refusal reason, or "" when loaded (and
  // then sets *loaded_id).
  std::string Load(const std::string& manifest_path, std::string* loaded_id = nullptr);

  std::vector<std::shared_ptr<const LoadedPlugin>> List() const;
  std::shared_ptr<const LoadedPlugin> Find(const std::string& id) const;

  // Validates `spec.config` against the plugin's schema (filling defaults) and creates the
  // instance. Throws ConfigInvalid, or PluginError when create fails.
  std::shared_ptr<PluginInstance> CreateInstance(const std::string& plugin_id, InstanceSpec spec);

  HostContext& context() { return context_; }
  // The cap on provider calls one organisation drives at once from its requests.
  TenantCalls& tenant_calls() { return tenant_calls_; }
  // Who receives the events plugins emit (the channels component). Set before LoadAll;
  // until then emitted events are refused and the plugin retries.
  void SetEventConsumer(
      std::function<std::int32_t(PluginInstance&, const std::string& events_json)> consumer) {
    context_.emit = std::move(consumer);
  }
  // Stops accepting plugin work and joins the call threads.
  void Shutdown();

 private:
  ManagerOptions options_;
  HostContext context_;
  std::unique_ptr<Executor> executor_;
  TenantCalls tenant_calls_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const LoadedPlugin>> plugins_;
};

}  // namespace sloth::plugins
