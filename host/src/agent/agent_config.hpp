#pragma once

// The `agent` section of host.yaml: which LLM plugin answers, the turn's budgets, and the
// replies used when the model cannot be.

#include <chrono>
#include <string>

#include <yaml-cpp/yaml.h>

#include "schema/schema.hpp"

namespace sloth::agent {

struct AgentConfig {
  std::string llm_plugin = "local-llm";
  int max_tool_iterations = 4;  // model -> tools -> model rounds in one turn
  int top_k = 5;                // chunks retrieved per turn
  int context_tokens = 1500;    // knowledge put before the model
  int history_tokens = 1000;    // earlier messages (the summary first)
  int model_max_tokens = 4096;  // the ceiling of a prompt's max_tokens
  int max_reply_chars = 3000;   // a longer reply is replaced by the fallback
  std::string fallback_reply;   // when the model fails or a reply fails a check
  std::string watermark;        // appended to channel replies on plans with `watermark`
  std::chrono::hours summarize_idle{24};

  static config::Field Schema();
  static AgentConfig Read(const YAML::Node& section, const std::string& file);
};

}  // namespace sloth::agent
