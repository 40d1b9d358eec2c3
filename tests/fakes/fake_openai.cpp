#include "fakes/fake_openai.hpp"

#include <cmath>
#include <cstring>
#include <sstream>

#include <Poco/Base64Encoder.h>

#include <nlohmann/json.hpp>

namespace sloth::fakes {
namespace {

using json = nlohmann::json;

FakeResponse Error(int status, const std::string& type, const std::string& code,
                   const std::string& message) {
  return FakeResponse::Json(
      status,
      json{{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}}}}
          .dump());
}

}  // namespace

FakeOpenAi::FakeOpenAi(std::string key)
    : key_(std::move(key)), server_([this](const FakeRequest& r) { return Handle(r); }) {}

FakeResponse FakeOpenAi::Handle(const FakeRequest& r) {
  if (r.Header("authorization") != "Bearer " + key_)
    return Error(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.");
  if (no_quota_)
    return Error(429, "insufficient_quota", "insufficient_quota",
                 "You exceeded your current quota.");
  if (rate_limited_ > 0) {
    --rate_limited_;
    auto e = Error(429, "requests", "rate_limit_exceeded", "Rate limit reached for requests.");
    if (retry_after_s_ > 0) {
      e.headers.emplace_back("retry-after", std::to_string(retry_after_s_.load()));
    } else {
      e.headers.emplace_back("retry-after-ms", "300");
    }
    return e;
  }
  if (r.method == "POST" && r.path == "/v1/chat/completions") {
    const auto body = json::parse(r.body, nullptr, false);
    if (!body.is_object() || !body.contains("messages") || !body["messages"].is_array())
      return Error(400, "invalid_request_error", "", "'messages' is a required property");
    {
      std::lock_guard<std::mutex> lock(mu_);
      chat_requests_.push_back(body);
    }
    return Chat(body);
  }
  if (r.method != "POST" || r.path != "/v1/embeddings")
    return Error(404, "invalid_request_error", "unknown_url", "Unknown request URL.");
  const auto body = json::parse(r.body, nullptr, false);
  if (!body.is_object() || !body.contains("input"))
    return Error(400, "invalid_request_error", "", "'input' is a required property");
  const int dim = body.value("dimensions", 1536);
  const json inputs = body["input"].is_array() ? body["input"] : json::array({body["input"]});
  json data = json::array();
  int index = 0;
  for (const auto& in : inputs) {
    const std::string text = in.get<std::string>();
    if (text.empty()) return Error(400, "invalid_request_error", "", "'$.input' is invalid.");
    std::vector<double> v(static_cast<std::size_t>(dim), 0.0);
    for (std::size_t i = 0; i + 2 < text.size(); ++i) {  // letter trigrams
      const unsigned h = static_cast<unsigned char>(text[i]) * 31u * 31u +
                         static_cast<unsigned char>(text[i + 1]) * 31u +
                         static_cast<unsigned char>(text[i + 2]);
      v[h % static_cast<unsigned>(dim)] += 1.0;
    }
    if (body.value("encoding_format", "float") == "base64") {
      // Little-endian float32s, base64: what the official clients ask for by default.
      std::string bytes(v.size() * 4, '\0');
      for (std::size_t i = 0; i < v.size(); ++i) {
        const float f = static_cast<float>(v[i]);
        std::memcpy(&bytes[i * 4], &f, 4);
      }
      std::ostringstream b64;
      Poco::Base64Encoder enc(b64);
      enc.rdbuf()->setLineLength(0);
      enc << bytes;
      enc.close();
      data.push_back({{"object", "embedding"}, {"index", index++}, {"embedding", b64.str()}});
    } else {
      data.push_back({{"object", "embedding"}, {"index", index++}, {"embedding", v}});
    }
  }
  return FakeResponse::Json(200, json{{"object", "list"},
                                      {"data", data},
                                      {"model", body.value("model", "")},
                                      {"usage", {{"prompt_tokens", 8}, {"total_tokens", 8}}}}
                                     .dump());
}

void FakeOpenAi::ScriptChat(json assistant_message) {
  std::lock_guard<std::mutex> lock(mu_);
  script_.push_back(std::move(assistant_message));
}

std::vector<json> FakeOpenAi::ChatRequests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return chat_requests_;
}

FakeResponse FakeOpenAi::Chat(const json& body) {
  if (malformed_ > 0) {
    --malformed_;
    return FakeResponse::Json(200, R"({"id":"chatcmpl-x","object":"chat.completion","choic)");
  }
  json message;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!script_.empty()) {
      message = script_.front();
      script_.pop_front();
    }
  }
  if (message.is_null()) {
    std::string last;
    for (const auto& m : body["messages"])
      if (m.value("role", "") == "user" && m["content"].is_string()) last = m["content"];
    message = {{"role", "assistant"}, {"content", "echo: " + last}};
  }
  message["role"] = "assistant";
  if (!message.contains("content")) message["content"] = nullptr;
  const bool calls = message.contains("tool_calls") && !message["tool_calls"].empty();
  if (calls) {
    int i = 0;
    for (auto& c : message["tool_calls"]) {
      c["type"] = "function";
      if (!quirks_) c["index"] = i;
      ++i;
    }
  }
  const std::string model = body.value("model", "gpt-4o-mini");
  const std::string finish = calls ? "tool_calls" : "stop";
  const json usage = {{"prompt_tokens", 42}, {"completion_tokens", 7}, {"total_tokens", 49}};
  if (!body.value("stream", false)) {
    // The wire form of a completion has no index inside message.tool_calls.
    if (calls) {
      for (auto& c : message["tool_calls"]) c.erase("index");
    }
    json out = {{"id", "chatcmpl-fake"},
                {"object", "chat.completion"},
                {"created", 1700000000},
                {"model", model},
                {"choices", {{{"index", 0}, {"message", message}, {"finish_reason", finish}}}}};
    if (!quirks_) out["usage"] = usage;
    return FakeResponse::Json(200, out.dump());
  }
  std::string sse;
  auto event = [&](const json& delta, const json& finish_reason) {
    json chunk = {
        {"id", "chatcmpl-fake"},
        {"object", "chat.completion.chunk"},
        {"created", 1700000000},
        {"model", model},
        {"choices", {{{"index", 0}, {"delta", delta}, {"finish_reason", finish_reason}}}}};
    sse += "data: " + chunk.dump() + "\n\n";
  };
  event({{"role", "assistant"}, {"content", ""}}, nullptr);
  if (message["content"].is_string()) {
    const std::string content = message["content"];
    for (std::size_t i = 0; i < content.size(); i += 3)
      event({{"content", content.substr(i, 3)}}, nullptr);
  }
  if (calls) {
    for (const auto& c : message["tool_calls"]) {
      json head = {{"id", c["id"]},
                   {"type", "function"},
                   {"function", {{"name", c["function"]["name"]}, {"arguments", ""}}}};
      if (c.contains("index")) head["index"] = c["index"];
      event({{"tool_calls", json::array({head})}}, nullptr);
      const std::string args = c["function"]["arguments"];
      for (std::size_t i = 0; i < args.size(); i += 5) {
        json frag = {{"function", {{"arguments", args.substr(i, 5)}}}};
        if (c.contains("index")) frag["index"] = c["index"];
        event({{"tool_calls", json::array({frag})}}, nullptr);
      }
    }
  }
  event(json::object(), finish);
  if (body.contains("stream_options") && body["stream_options"].value("include_usage", false)) {
    sse += "data: " +
           json{{"id", "chatcmpl-fake"},
                {"object", "chat.completion.chunk"},
                {"model", model},
                {"choices", json::array()},
                {"usage", usage}}
               .dump() +
           "\n\n";
  }
  sse += "data: [DONE]\n\n";
  FakeResponse resp;
  resp.status = 200;
  resp.body = sse;
  resp.content_type = "text/event-stream";
  return resp;
}

}  // namespace sloth::fakes
