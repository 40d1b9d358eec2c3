#pragma once

// A tenant's prompt: what the assistant is (role), how it behaves (instructions), what it
// always knows (context), its sampling (temperature, max tokens) and the topics it refuses.
// Every change is a new version (agent_repository.hpp); the sandbox tries a draft built the
// same way without saving it.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sloth::agent {

struct Prompt {
  int version = 0;  // 0: the built-in default, never saved
  std::string role = "You are a helpful AI assistant for a beauty salon.";
  std::string instructions =
      "Answer only from the salon's information below. Be brief and friendly. If the "
      "information does not contain the answer, say so and offer to pass the question to the "
      "team.";
  std::string context;
  double temperature = 0.7;
  int max_tokens = 500;
  std::vector<std::string> refused_topics;
  std::string created_at;  // RFC 3339; empty for the default
  int restored_from = 0;   // the version a restore copied

  nlohmann::json ToJson() const;
};

// `base` with the fields of `body` applied (partial allowed: role, instructions, context,
// temperature, max_tokens, refused_topics). Throws errors::Error invalid_argument naming the
// field: unknown fields, temperature outside 0..2, max_tokens outside 1..model_max_tokens,
// over-long texts, more than 100 refused topics.
Prompt ApplyChange(Prompt base, const nlohmann::json& body, int model_max_tokens);

}  // namespace sloth::agent
