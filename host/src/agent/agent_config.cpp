#include "agent/agent_config.hpp"

namespace sloth::agent {

config::Field AgentConfig::Schema() {
  using namespace config;
  return Section(
      "agent",
      {Str("llm_plugin", "local-llm",
           "the LLM plugin answering clients (plugins.config.<plugin> configures it); "
           "local-llm is the offline default"),
       Int("max_tool_iterations", 4, 0, 16, "model/tool rounds in one turn"),
       Int("top_k", 5, 1, 20, "knowledge chunks retrieved per turn"),
       Int("context_tokens", 1500, 100, 100000, "knowledge put before the model, in tokens"),
       Int("history_tokens", 1000, 0, 100000,
           "earlier messages put before the model, in tokens (the dialogue summary first)"),
       Int("model_max_tokens", 4096, 16, 128000,
           "the model's output limit: a prompt's max_tokens may not exceed it"),
       Int("max_reply_chars", 3000, 100, 65536,
           "a longer reply fails the supervisor's check and is replaced"),
       Str("fallback_reply", "",
           "sent when the model fails or its reply fails a check; empty: a built-in reply in "
           "the client's language"),
       Str("watermark", "— Powered by Sloth",
           "the line added to channel replies on plans with watermark: true"),
       Int("summarize_idle_hours", 24, 1, 24 * 30,
           "a conversation idle this long is compressed into a summary")},
      "the assistant");
}

AgentConfig AgentConfig::Read(const YAML::Node& s, const std::string&) {
  AgentConfig c;
  c.llm_plugin = s["llm_plugin"].as<std::string>();
  c.max_tool_iterations = s["max_tool_iterations"].as<int>();
  c.top_k = s["top_k"].as<int>();
  c.context_tokens = s["context_tokens"].as<int>();
  c.history_tokens = s["history_tokens"].as<int>();
  c.model_max_tokens = s["model_max_tokens"].as<int>();
  c.max_reply_chars = s["max_reply_chars"].as<int>();
  c.fallback_reply = s["fallback_reply"].as<std::string>();
  c.watermark = s["watermark"].as<std::string>();
  c.summarize_idle = std::chrono::hours(s["summarize_idle_hours"].as<int>());
  return c;
}

}  // namespace sloth::agent
