// The offline language model as a plugin: a thin wrapper over extractive_model.
#include <nlohmann/json.hpp>

#include "extractive_model.hpp"
#include "sloth/plugin.hpp"

namespace local_llm {

class LocalLlm final : public sloth::Llm {
 public:
  explicit LocalLlm(const sloth::InstanceArgs&) {}
  // No state: calls may run concurrently.
  static constexpr bool kReentrant = true;

  std::string Chat(std::string_view request_json) override {
    const auto request = nlohmann::json::parse(request_json, nullptr, false);
    if (!request.is_object() || !request.contains("messages") || !request["messages"].is_array())
      throw sloth::Error(sloth::Status::kInvalidArgument, "the request needs a messages array");
    return Respond(request).dump();
  }
  // Whole answers at once: the reply is ready before the first token would be.
  std::string ChatStream(std::string_view request_json,
                         const std::function<void(std::string_view)>& on_delta) override {
    const std::string out = Chat(request_json);
    const auto doc = nlohmann::json::parse(out);
    if (doc["text"].is_string()) on_delta(doc["text"].get<std::string>());
    return out;
  }
};

}  // namespace local_llm

SLOTH_PLUGIN(local_llm::LocalLlm, "local-llm", "1.0.0")
