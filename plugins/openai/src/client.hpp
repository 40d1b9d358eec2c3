#pragma once

// A JSON client for the OpenAI REST API (or a compatible server) over the host's HTTP
// service: bearer key, one request retried per retry_policy.hpp. Every kind of this plugin
// talks to the API through it.

#include <string>

#include <nlohmann/json.hpp>

#include "sloth/plugin.hpp"

namespace openai {

class Client {
 public:
  // `base_url`: e.g. https://api.openai.com/v1 (no trailing slash needed); `max_retries`:
  // retries after the first attempt.
  Client(sloth::Host host, const std::string& base_url, std::string api_key, int max_retries);

  // POSTs `body` to base_url + `path` and returns the JSON object answered. Throws
  // sloth::Error with the status the failure maps to once retries are spent.
  nlohmann::json Post(const std::string& path, const nlohmann::json& body, int timeout_ms);
  // Post for a body that is not one JSON object (a server-sent event stream): the raw text
  // of the 2xx answer, retried the same way.
  std::string PostForText(const std::string& path, const nlohmann::json& body, int timeout_ms);

 private:
  // One request with the retry loop; `accept` says whether a 2xx body is usable (an
  // unusable one is retried like a 5xx).
  std::string Exchange(const std::string& path, const nlohmann::json& body, int timeout_ms,
                       bool (*accept)(const std::string& body));

  sloth::Host host_;
  std::string base_, key_;
  int retries_;
};

// The client an instance's config describes (base_url, max_retries) with the key from the
// host's secrets (SLOTH_PLUGIN_OPENAI_API_KEY); throws kInvalidArgument without a key.
Client MakeClient(const sloth::Host& host, const nlohmann::json& config);

}  // namespace openai
