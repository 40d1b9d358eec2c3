#pragma once

// The OpenAI embeddings endpoint as PROTOCOLS.md §5 describes it: Bearer auth,
// POST /v1/embeddings {model, input[], dimensions} -> {"object":"list","data":[...]},
// error envelopes, 429 with retry-after-ms, insufficient_quota. Vectors are deterministic
// functions of the text (hashed letters), so similar texts get similar vectors.

#include <atomic>
#include <string>

#include "fakes/fake_server.hpp"

namespace sloth::fakes {

class FakeOpenAi {
 public:
  explicit FakeOpenAi(std::string key);
  std::string base_url() const { return server_.base_url(); }
  FakeServer& server() { return server_; }
  // The next `n` requests answer 429 rate_limit_exceeded with retry-after-ms.
  void RateLimitNext(int n) { rate_limited_ = n; }
  // Every request answers 429 insufficient_quota (not to be retried).
  void NoQuota(bool on) { no_quota_ = on; }

 private:
  FakeResponse Handle(const FakeRequest& r);
  std::string key_;
  std::atomic<int> rate_limited_{0};
  std::atomic<bool> no_quota_{false};
  FakeServer server_;
};

}  // namespace sloth::fakes
