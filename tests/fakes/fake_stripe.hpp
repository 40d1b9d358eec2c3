#pragma once

// Stripe's API as the tests need it, in Stripe's real format (PROTOCOLS.md §6): Bearer
// auth, form-encoded POSTs, Idempotency-Key replays (same key + other params -> 400
// idempotency_error), checkout sessions and subscription updates, the error envelope,
// Request-Id, and injected failures with or without Stripe-Should-Retry.

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "fakes/fake_server.hpp"

namespace sloth::fakes {

class FakeStripe {
 public:
  explicit FakeStripe(std::string secret_key = "sk_test_fake");

  int port() const { return server_.port(); }
  FakeServer& server() { return server_; }

  // The next `count` requests answer `status` with Stripe's error envelope; when
  // `should_retry` is set, with Stripe-Should-Retry: true|false.
  void FailNext(int count, int status, std::optional<bool> should_retry = std::nullopt);
  // Checkout sessions created (not replays).
  int sessions_created() const;

 private:
  FakeResponse Handle(const FakeRequest& r);
  FakeResponse CreateSession(const std::map<std::string, std::string>& form);
  FakeResponse UpdateSubscription(const std::string& id,
                                  const std::map<std::string, std::string>& form);

  std::string secret_key_;
  mutable std::mutex mu_;
  int fail_count_ = 0;
  int fail_status_ = 500;
  std::optional<bool> fail_should_retry_;
  int next_id_ = 1;
  int sessions_created_ = 0;
  struct Stored {
    std::string body_fingerprint;
    FakeResponse response;
  };
  std::map<std::string, Stored> idempotency_;
  FakeServer server_;  // last: starts serving once the state above exists
};

}  // namespace sloth::fakes
