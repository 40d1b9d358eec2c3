#pragma once

// Every outbound HTTP request of the platform (plugins included) goes through here:
// an allow-list of hosts, a refusal of private and loopback addresses (SSRF), timeouts,
// retries with backoff that honour Retry-After, a response size cap, and metrics.
// `rewrite` maps a base URL to another (a test's local fake, a proxy); rewritten targets
// are the operator's own choice and skip the private-address check.

#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "metrics/metrics.hpp"

namespace sloth::outbound {

struct Options {
  std::vector<std::string>
      allow_hosts;  // "api.telegram.org", "*.googleapis.com"; empty = any public host
  bool allow_private = false;
  std::map<std::string, std::string>
      rewrite;  // "https://api.telegram.org" -> "http://127.0.0.1:9000"
  std::chrono::milliseconds default_timeout{15000};
  std::int64_t max_response_bytes = 32 << 20;
};

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::chrono::milliseconds timeout{0};  // 0 = default
  int max_retries = 0;
};

struct Response {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Why no response arrived. `code` is a sloth_status value (invalid argument for a refused
// URL, timeout, unavailable).
class Error : public std::runtime_error {
 public:
  Error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class HttpClient {
 public:
  HttpClient(Options options, metrics::Registry& metrics);
  // `caller` labels metrics (the plugin id). Throws outbound::Error.
  Response Send(const Request& request, const std::string& caller) const;

  // The URL after rewriting, and whether a rewrite applied.
  std::pair<std::string, bool> Rewrite(const std::string& url) const;

 private:
  Options options_;
  metrics::Registry& metrics_;
};

}  // namespace sloth::outbound
