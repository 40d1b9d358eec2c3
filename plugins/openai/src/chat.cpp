#include "chat.hpp"

namespace openai {

using json = nlohmann::json;

OpenAiChat::OpenAiChat(const sloth::InstanceArgs& args)
    : client_(MakeClient(args.host, json::parse(args.config_json))) {
  const auto c = json::parse(args.config_json);
  options_.model = c.value("chat_model", "gpt-4o-mini");
  options_.stream = c.value("stream", false);
  timeout_ms_ = c.value("chat_timeout_ms", 120000);
}

json OpenAiChat::Complete(std::string_view request_json,
                          const std::function<void(std::string_view)>* on_delta, bool stream) {
  const json request = json::parse(request_json, nullptr, false);
  if (!request.is_object() || !request.contains("messages") || !request["messages"].is_array())
    throw sloth::Error(sloth::Status::kInvalidArgument, "the request needs a messages array");
  ChatOptions o = options_;
  o.stream = stream;
  const json body = ToChatRequest(request, o);
  if (!stream) return FromChatResponse(client_.Post("/chat/completions", body, timeout_ms_));
  // The host's HTTP service hands the body over whole, so the fragments are assembled
  // (and passed on) once it has arrived.
  StreamAssembler assembler(on_delta ? *on_delta : std::function<void(std::string_view)>());
  assembler.Feed(client_.PostForText("/chat/completions", body, timeout_ms_));
  assembler.Feed("\n\n");
  if (!assembler.done())
    throw sloth::Error(sloth::Status::kUnavailable, "openai: the stream ended before [DONE]");
  return assembler.Result();
}

std::string OpenAiChat::Chat(std::string_view request_json) {
  return Complete(request_json, nullptr, options_.stream).dump();
}

std::string OpenAiChat::ChatStream(std::string_view request_json,
                                   const std::function<void(std::string_view)>& on_delta) {
  return Complete(request_json, &on_delta, true).dump();
}

}  // namespace openai
