#pragma once

// The OpenAI API as PROTOCOLS.md §5 describes it: Bearer auth, error envelopes, 429 with
// retry-after-ms or retry-after, insufficient_quota.
//   POST /v1/embeddings {model, input[], dimensions} -> {"object":"list","data":[...]}:
//     vectors are deterministic functions of the text (hashed letters).
//   POST /v1/chat/completions: each request takes the next scripted assistant message
//     (ScriptChat), else answers "echo: <the last user message>". With "stream": true the
//     answer comes as chat.completion.chunk events — content in pieces of 3 bytes, each tool
//     call's arguments in pieces of 5, usage last when stream_options.include_usage — then
//     `data: [DONE]`.

#include <atomic>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fakes/fake_server.hpp"

namespace sloth::fakes {

class FakeOpenAi {
 public:
  explicit FakeOpenAi(std::string key);
  std::string base_url() const { return server_.base_url(); }
  FakeServer& server() { return server_; }
  // The next `n` requests answer 429 rate_limit_exceeded with retry-after-ms: 300, or with
  // retry-after: `seconds` when given.
  void RateLimitNext(int n, int seconds = 0) {
    retry_after_s_ = seconds;
    rate_limited_ = n;
  }
  // The next `n` chat requests answer 200 with a body that is no completion.
  void MalformedNext(int n) { malformed_ = n; }
  // Answer as some compatible servers do: no usage, tool calls without index, content null.
  void CompatQuirks(bool on) { quirks_ = on; }
  // The assistant message (content and/or tool_calls, OpenAI's shape) of a coming request.
  void ScriptChat(nlohmann::json assistant_message);
  // The bodies of the chat requests received, in order.
  std::vector<nlohmann::json> ChatRequests() const;
  // Every request answers 429 insufficient_quota (not to be retried).
  void NoQuota(bool on) { no_quota_ = on; }

 private:
  FakeResponse Handle(const FakeRequest& r);
  FakeResponse Chat(const nlohmann::json& body);
  std::string key_;
  std::atomic<int> rate_limited_{0}, retry_after_s_{0}, malformed_{0};
  std::atomic<bool> no_quota_{false}, quirks_{false};
  mutable std::mutex mu_;
  std::deque<nlohmann::json> script_;
  std::vector<nlohmann::json> chat_requests_;
  FakeServer server_;
};

}  // namespace sloth::fakes
