#pragma once

// The Telegram Bot API as PROTOCOLS.md §1 describes it: /bot<token>/<method> (method names
// case-insensitive), JSON / form / query parameters, the {"ok":...} envelope with the HTTP
// status equal to error_code, 429 with parameters.retry_after and Retry-After, 409 for
// getUpdates while a webhook is set, long polls held until an update or the timeout.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fakes/fake_server.hpp"

namespace sloth::fakes {

class FakeTelegram {
 public:
  explicit FakeTelegram(std::string token);

  FakeServer& server() { return server_; }
  std::string base_url() const { return server_.base_url(); }

  struct Sent {
    std::string method;  // sendmessage, sendphoto
    nlohmann::json params;
    std::chrono::steady_clock::time_point at;
    bool during_poll = false;  // a getUpdates of the bot was held open when it arrived
  };
  // Successful sends, in order.
  std::vector<Sent> sent() const;
  // Every send attempt (including refused ones), in order.
  std::vector<Sent> attempts() const;
  std::vector<std::string> answered_callbacks() const;
  std::string webhook_url() const;
  std::string webhook_secret() const;

  // The next `count` sends answer 429 with retry_after `seconds`.
  void RateLimitNext(int count, int seconds);
  // While held, getMe calls (how a connect verifies a token) wait for Release: a slow
  // provider. HeldCalls() counts those waiting.
  void HoldVerification();
  void ReleaseVerification();
  bool WaitForHeld(int n, std::chrono::milliseconds timeout) const;
  // Queues an update for getUpdates.
  void AddUpdate(const nlohmann::json& update);
  // Returns `update` once more whatever the offset (a redelivery, as after a lost confirm).
  void Redeliver(const nlohmann::json& update);
  // getUpdates calls answered so far.
  int polls() const;
  // Waits until `n` messages were sent (false on timeout).
  bool WaitForSent(std::size_t n, std::chrono::milliseconds timeout) const;

 private:
  FakeResponse Handle(const FakeRequest& r);
  nlohmann::json Params(const FakeRequest& r) const;

  std::string token_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<Sent> sent_, attempts_;
  std::vector<std::string> callbacks_;
  std::vector<nlohmann::json> updates_;
  std::vector<nlohmann::json> redeliver_;
  int polls_ = 0;
  bool hold_verification_ = false;
  int held_ = 0;
  int polls_open_ = 0;  // getUpdates calls being held
  std::string webhook_url_, webhook_secret_;
  int rate_limit_count_ = 0, rate_limit_seconds_ = 1;
  long next_message_id_ = 1000;
  FakeServer server_;  // last: serves once the state exists
};

}  // namespace sloth::fakes
