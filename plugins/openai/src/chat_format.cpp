#include "chat_format.hpp"

#include "sloth/plugin.hpp"

namespace openai {
namespace {

using json = nlohmann::json;

[[noreturn]] void Malformed(const std::string& what) {
  throw sloth::Error(sloth::Status::kUnavailable, "openai: malformed chat response: " + what);
}

std::string Str(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

// Arguments are a JSON string on the wire; some servers send the object itself.
std::string ArgumentsText(const json& a) {
  if (a.is_string()) return a.get<std::string>();
  if (a.is_null()) return "{}";
  return a.dump();
}

json Usage(const json& u) {
  auto count = [&](const char* key) -> std::int64_t {
    return u.is_object() && u.contains(key) && u[key].is_number_integer()
               ? u[key].get<std::int64_t>()
               : 0;
  };
  return {{"prompt_tokens", count("prompt_tokens")},
          {"completion_tokens", count("completion_tokens")}};
}

// The host's document carries arguments as an object (sdk/README.md); text that is not
// JSON is passed on as text, for the host to refuse with a reason the model can read.
json ArgumentsValue(const std::string& text) {
  json v = json::parse(text, nullptr, false);
  return v.is_discarded() ? json(text) : v;
}

}  // namespace

json ToChatRequest(const json& request, const ChatOptions& options) {
  json messages = json::array();
  for (const auto& m : request.value("messages", json::array())) {
    if (!m.is_object()) continue;
    const std::string role = Str(m, "role");
    json out = {{"role", role}};
    if (role == "tool") {
      out["tool_call_id"] = Str(m, "tool_call_id");
      out["content"] = Str(m, "content");
    } else if (role == "assistant" && m.contains("tool_calls") && m["tool_calls"].is_array()) {
      out["content"] = m.contains("content") && m["content"].is_string() ? m["content"] : json();
      json calls = json::array();
      for (const auto& c : m["tool_calls"]) {
        calls.push_back({{"id", Str(c, "id")},
                         {"type", "function"},
                         {"function",
                          {{"name", Str(c, "name")},
                           {"arguments", ArgumentsText(c.value("arguments", json()))}}}});
      }
      out["tool_calls"] = calls;
    } else {
      out["content"] = Str(m, "content");
    }
    messages.push_back(std::move(out));
  }
  json body = {{"model", options.model}, {"messages", messages}};
  if (request.contains("tools") && request["tools"].is_array() && !request["tools"].empty()) {
    json tools = json::array();
    for (const auto& t : request["tools"]) {
      // The host's {name, description, parameters}; OpenAI's own shape passes as it is.
      tools.push_back(t.contains("function") ? t : json{{"type", "function"}, {"function", t}});
    }
    body["tools"] = tools;
  }
  if (request.contains("temperature") && request["temperature"].is_number())
    body["temperature"] = request["temperature"];
  if (request.contains("max_tokens") && request["max_tokens"].is_number_integer())
    body["max_tokens"] = request["max_tokens"];
  if (options.stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  return body;
}

json FromChatResponse(const json& r) {
  if (!r.is_object() || !r.contains("choices") || !r["choices"].is_array() || r["choices"].empty())
    Malformed("no choices");
  const json& choice = r["choices"][0];
  if (!choice.is_object() || !choice.contains("message") || !choice["message"].is_object())
    Malformed("no message");
  const json& msg = choice["message"];
  json out = {{"text", Str(msg, "content")},
              {"model", Str(r, "model")},
              {"finish_reason", Str(choice, "finish_reason")},
              {"usage", Usage(r.value("usage", json()))}};
  json calls = json::array();
  if (msg.contains("tool_calls") && msg["tool_calls"].is_array()) {
    for (const auto& c : msg["tool_calls"]) {
      const json f = c.value("function", json::object());
      if (Str(f, "name").empty()) Malformed("a tool call without a function name");
      calls.push_back({{"id", Str(c, "id")},
                       {"name", Str(f, "name")},
                       {"arguments", ArgumentsValue(ArgumentsText(f.value("arguments", json())))}});
    }
  }
  if (!calls.empty()) out["tool_calls"] = calls;
  return out;
}

void StreamAssembler::Feed(std::string_view bytes) {
  pending_.append(bytes);
  std::size_t start = 0;
  for (;;) {
    const auto nl = pending_.find('\n', start);
    if (nl == std::string::npos) break;
    std::string line = pending_.substr(start, nl - start);
    start = nl + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {  // a blank line ends an event
      if (!data_.empty()) Event(data_);
      data_.clear();
    } else if (line.rfind("data:", 0) == 0) {
      std::string_view v(line);
      v.remove_prefix(5);
      if (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      if (!data_.empty()) data_ += '\n';
      data_.append(v);
    }  // comments (":") and other fields (event:, id:, retry:) carry nothing for chat
  }
  pending_.erase(0, start);
}

void StreamAssembler::Event(const std::string& data) {
  if (data == "[DONE]") {
    done_ = true;
    return;
  }
  const json chunk = json::parse(data, nullptr, false);
  if (!chunk.is_object()) Malformed("a stream event that is not JSON");
  if (chunk.contains("error")) {
    const json& e = chunk["error"];
    throw sloth::Error(sloth::Status::kUnavailable,
                       "openai: stream error: " + (e.is_object() ? Str(e, "message") : e.dump()));
  }
  if (!Str(chunk, "model").empty()) model_ = Str(chunk, "model");
  if (chunk.contains("usage") && chunk["usage"].is_object()) usage_ = chunk["usage"];
  if (!chunk.contains("choices") || !chunk["choices"].is_array()) return;
  for (const auto& choice : chunk["choices"]) {
    if (!Str(choice, "finish_reason").empty()) finish_ = Str(choice, "finish_reason");
    const json delta = choice.value("delta", json::object());
    const std::string text = Str(delta, "content");
    if (!text.empty()) {
      text_ += text;
      if (on_delta_) on_delta_(text);
    }
    if (!delta.contains("tool_calls") || !delta["tool_calls"].is_array()) continue;
    for (const auto& frag : delta["tool_calls"]) {
      // Which call a fragment continues: its index; without one, the call with its id; a
      // fragment with neither continues the last call.
      std::size_t at = calls_.size();
      if (frag.contains("index") && frag["index"].is_number_integer()) {
        const auto index = frag["index"].get<std::int64_t>();
        for (std::size_t i = 0; i < calls_.size(); ++i) {
          if (calls_[i]["index"] == index) at = i;
        }
        if (at == calls_.size()) calls_.push_back({{"index", index}});
      } else if (!Str(frag, "id").empty()) {
        for (std::size_t i = 0; i < calls_.size(); ++i) {
          if (calls_[i].value("id", "") == Str(frag, "id")) at = i;
        }
        if (at == calls_.size()) calls_.push_back({{"index", static_cast<std::int64_t>(at)}});
      } else if (!calls_.empty()) {
        at = calls_.size() - 1;
      } else {
        calls_.push_back({{"index", 0}});
        at = 0;
      }
      json& call = calls_[at];
      if (!Str(frag, "id").empty()) call["id"] = Str(frag, "id");
      const json f = frag.value("function", json::object());
      if (!Str(f, "name").empty()) call["name"] = Str(f, "name");
      if (f.contains("arguments")) {
        call["arguments"] = call.value("arguments", std::string()) + ArgumentsText(f["arguments"]);
      }
    }
  }
}

json StreamAssembler::Result() const {
  json out = {
      {"text", text_}, {"model", model_}, {"finish_reason", finish_}, {"usage", Usage(usage_)}};
  if (!calls_.empty()) {
    json calls = json::array();
    for (const auto& c : calls_) {
      if (c.value("name", "").empty()) Malformed("a streamed tool call without a name");
      calls.push_back({{"id", c.value("id", "")},
                       {"name", c["name"]},
                       {"arguments", ArgumentsValue(c.value("arguments", std::string("{}")))}});
    }
    out["tool_calls"] = calls;
  }
  return out;
}

}  // namespace openai
