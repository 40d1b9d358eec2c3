#pragma once

// The chat completions wire format (PROTOCOLS.md §5; platform.openai.com/docs/api-reference/
// chat) to and from the host's llm document (sloth_llm_ops.chat), without the ABI glue so
// unit tests exercise it directly. Parsing is tolerant of what OpenAI-compatible servers
// (Ollama, llama.cpp server, vLLM) do differently: no `usage`, `tool_calls` without
// `index`, `content: null`, arguments sent as an object instead of a JSON string.

#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace openai {

struct ChatOptions {
  std::string model = "gpt-4o-mini";
  bool stream = false;
};

// The request body of POST /chat/completions for a host document {messages, tools?:
// [{name, description, parameters}], temperature?, max_tokens?, hints?} (hints are the
// host's and are not sent).
nlohmann::json ToChatRequest(const nlohmann::json& request, const ChatOptions& options);

// The host's document {text, tool_calls:[{id, name, arguments:{...}}], usage:{prompt_tokens,
// completion_tokens}, model, finish_reason} from a chat.completion object. Throws
// sloth::Error(kUnavailable) when it is not one (no choices, no message).
nlohmann::json FromChatResponse(const nlohmann::json& response);

// A streamed completion (text/event-stream of chat.completion.chunk objects, ending with
// `data: [DONE]`) assembled into the same document: text deltas concatenated, tool-call
// fragments joined by index (or by id, or in order, when a server omits the index), usage
// from the final chunk. `on_delta` receives each text fragment as it is read. An `error`
// event throws sloth::Error.
class StreamAssembler {
 public:
  template <typename F>
  explicit StreamAssembler(F on_delta) : on_delta_(std::move(on_delta)) {}
  StreamAssembler() = default;

  // Feeds raw bytes of the stream (any split: events may straddle calls).
  void Feed(std::string_view bytes);
  // The document once the stream ended (Feed the rest first).
  nlohmann::json Result() const;
  bool done() const { return done_; }

 private:
  void Event(const std::string& data);

  std::function<void(std::string_view)> on_delta_;
  std::string pending_, data_;
  std::string text_, model_, finish_;
  nlohmann::json calls_ = nlohmann::json::array();
  nlohmann::json usage_;
  bool done_ = false;
};

}  // namespace openai
