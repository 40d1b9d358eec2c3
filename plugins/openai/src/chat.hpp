#pragma once

// The `llm` kind: POST /chat/completions with the host's messages and tools; one response
// or, with `stream: true`, server-sent events assembled as they are read. Errors and
// retries as the official client handles them (client.hpp, retry_policy.hpp).

#include <functional>
#include <string>
#include <string_view>

#include "chat_format.hpp"
#include "client.hpp"
#include "sloth/plugin.hpp"

namespace openai {

class OpenAiChat : public virtual sloth::Llm {
 public:
  explicit OpenAiChat(const sloth::InstanceArgs& args);

  std::string Chat(std::string_view request_json) override;
  std::string ChatStream(std::string_view request_json,
                         const std::function<void(std::string_view)>& on_delta) override;

 private:
  nlohmann::json Complete(std::string_view request_json,
                          const std::function<void(std::string_view)>* on_delta, bool stream);

  Client client_;
  ChatOptions options_;
  int timeout_ms_ = 120000;
};

}  // namespace openai
