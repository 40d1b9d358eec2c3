#pragma once

// What to do with an OpenAI (or compatible) error response, as the official client does
// it (openai-python _base_client.py): `x-should-retry` decides when present; otherwise 408,
// 409, 429 and 5xx are retried, except an exhausted quota (429 insufficient_quota). The
// server's `retry-after-ms` / `retry-after` sets the wait when sane (0 < wait <= 120 s);
// otherwise the wait is exponential from 0.5 s, capped at 8 s, with up to 25% jitter.
// Shared by every kind this plugin provides (embedder, and the LLM next).

#include <chrono>
#include <string>

#include "sloth/plugin.hpp"

namespace openai {

struct RetryDecision {
  bool retry = false;
  std::chrono::milliseconds delay{0};                  // 0: use Backoff
  sloth::Status status = sloth::Status::kUnavailable;  // when not retried (or out of tries)
  std::string message;
};

// `response` is a non-2xx answer.
RetryDecision Decide(const sloth::HttpResponse& response);

// The wait before retry `attempt` (0-based) without a server hint; `jitter` in [0, 1).
std::chrono::milliseconds Backoff(int attempt, double jitter);

}  // namespace openai
