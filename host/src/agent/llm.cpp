#include "agent/llm.hpp"

#include "errors/error.hpp"

namespace sloth::agent {

using json = nlohmann::json;

LlmReply Llm::Chat(const json& request) {
  const auto inst = instance_.Get();
  if (!inst) throw errors::Error::Unavailable("no language model is running", "llm");
  const auto out = inst->Chat(request.dump());
  if (!out.ok()) {
    const bool transient = out.status == SLOTH_UNAVAILABLE || out.status == SLOTH_TIMEOUT ||
                           out.status == SLOTH_RATE_LIMITED || out.status == SLOTH_CANCELLED;
    throw errors::Error(transient ? errors::Code::kUnavailable : errors::Code::kProviderError,
                        "the language model failed: " + out.error, "llm", {{"status", out.status}});
  }
  const json doc = json::parse(out.output, nullptr, false);
  if (!doc.is_object())
    throw errors::Error(errors::Code::kProviderError, "the language model answered no JSON", "llm");
  LlmReply r;
  if (doc.contains("text") && doc["text"].is_string()) r.text = doc["text"].get<std::string>();
  if (doc.contains("tool_calls") && doc["tool_calls"].is_array()) {
    for (const auto& c : doc["tool_calls"]) {
      if (!c.is_object() || !c.contains("name") || !c["name"].is_string()) {
        throw errors::Error(errors::Code::kProviderError,
                            "the language model asked for a tool call without a name", "llm");
      }
      ToolCallRequest call;
      if (c.contains("id") && c["id"].is_string()) call.id = c["id"].get<std::string>();
      call.name = c["name"].get<std::string>();
      const json& a = c.contains("arguments") ? c["arguments"] : json::object();
      call.arguments = a.is_string() ? a.get<std::string>() : a.dump();
      r.tool_calls.push_back(std::move(call));
    }
  }
  // Servers that omit usage (some OpenAI-compatible ones) count as zero.
  auto count = [&](const char* key) -> std::int64_t {
    const json& u = doc.contains("usage") ? doc["usage"] : json();
    return u.is_object() && u.contains(key) && u[key].is_number_integer()
               ? u[key].get<std::int64_t>()
               : 0;
  };
  r.tokens_in = count("prompt_tokens");
  r.tokens_out = count("completion_tokens");
  r.model = doc.contains("model") && doc["model"].is_string() ? doc["model"].get<std::string>()
                                                              : instance_.plugin_id();
  return r;
}

}  // namespace sloth::agent
