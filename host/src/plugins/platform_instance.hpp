#pragma once

// A platform-wide plugin instance (storage, embedder, vision, payment, LLM): one per host,
// not per organisation, configured from plugins.config.<plugin> with optional overrides.
// Every concern that needs one holds it here, so starting, stopping and handing it out
// under concurrent calls are the same for all of them.

#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "plugins/plugin_manager.hpp"

namespace sloth::plugins {

class PlatformInstance {
 public:
  // `what` names the use in log lines ("storage", "knowledge: vision").
  PlatformInstance(PluginManager& plugins, std::string plugin_id, std::string instance_id,
                   std::string what, nlohmann::json overrides = nlohmann::json::object())
      : plugins_(plugins),
        plugin_id_(std::move(plugin_id)),
        instance_id_(std::move(instance_id)),
        what_(std::move(what)),
        overrides_(std::move(overrides)) {}
  ~PlatformInstance() { Stop(); }
  PlatformInstance(const PlatformInstance&) = delete;
  PlatformInstance& operator=(const PlatformInstance&) = delete;

  // Creates and starts the instance. False (the reason logged) when the plugin is missing
  // or does not start: the host runs without it and Get() answers null.
  bool Start();
  void Stop();
  // The running instance, or null; safe from any thread.
  std::shared_ptr<PluginInstance> Get() const;
  const std::string& plugin_id() const { return plugin_id_; }

 private:
  PluginManager& plugins_;
  std::string plugin_id_, instance_id_, what_;
  nlohmann::json overrides_;
  mutable std::mutex mu_;
  std::shared_ptr<PluginInstance> instance_;
};

}  // namespace sloth::plugins
