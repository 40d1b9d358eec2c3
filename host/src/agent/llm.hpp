#pragma once

// The host's language model: the platform's `llm` plugin (agent.llm_plugin; the offline
// local-llm by default) behind one call that speaks the ABI's chat document and reports
// failures as domain errors. Never called with a transaction open.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugins/platform_instance.hpp"

namespace sloth::agent {

struct ToolCallRequest {
  std::string id;
  std::string name;
  std::string arguments;  // a JSON object as text, as the model wrote it
};

struct LlmReply {
  std::string text;
  std::vector<ToolCallRequest> tool_calls;
  std::int64_t tokens_in = 0;
  std::int64_t tokens_out = 0;
  std::string model;
};

class Llm {
 public:
  Llm(plugins::PluginManager& plugins, const std::string& plugin_id)
      : instance_(plugins, plugin_id, "platform:llm:" + plugin_id, "agent: llm") {}
  void Start() { instance_.Start(); }
  void Stop() { instance_.Stop(); }
  const std::string& plugin_id() const { return instance_.plugin_id(); }

  // One chat call. Throws errors::Error: unavailable (no model running, the provider is
  // down or out of retries), provider_error (refused for good, e.g. an exhausted quota, or
  // an answer that is not a chat document).
  LlmReply Chat(const nlohmann::json& request);

 private:
  plugins::PlatformInstance instance_;
};

}  // namespace sloth::agent
