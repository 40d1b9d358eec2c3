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

 private:
  sloth::Host host_;
  std::string base_, key_;
  int retries_;
};

}  // namespace openai
