#pragma once

// Which sessions this host found live a moment ago. Checking a session costs a statement on
// every authenticated request; remembering a live one for `ttl` (a second by default) takes
// that statement off nearly every request while a deactivation, a logout or a password
// change made on another host (or by sloth-admin) is still refused within `ttl`. The host
// that ends a session forgets it at once (after its commit), so there it is refused on the
// next request. Only live sessions are remembered: a refusal is always checked again.

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace sloth::accounts {

class SessionCache {
 public:
  using Clock = std::chrono::steady_clock;
  // ttl 0 turns the cache off. `now` is replaceable for tests.
  explicit SessionCache(std::chrono::milliseconds ttl, std::size_t max_entries = 100000,
                        std::function<Clock::time_point()> now = Clock::now);

  bool IsLive(std::int64_t user_id, const std::string& session) const;
  // `checked_at`: when the check that found it live was sent; an entry forgotten since then
  // is not remembered (the check may have read what the forgetting transaction replaced).
  void RememberLive(std::int64_t user_id, std::optional<std::int64_t> tenant_id,
                    const std::string& session, Clock::time_point checked_at);
  void ForgetSession(const std::string& session);
  void ForgetUser(std::int64_t user_id);
  void ForgetTenant(std::int64_t tenant_id);

  Clock::time_point Now() const { return now_(); }
  bool enabled() const { return ttl_.count() > 0; }

 private:
  struct Entry {
    std::int64_t user_id;
    std::optional<std::int64_t> tenant_id;
    Clock::time_point until;
  };
  std::chrono::milliseconds ttl_;
  std::size_t max_entries_;
  std::function<Clock::time_point()> now_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> live_;  // by session
  Clock::time_point last_forget_{};
};

}  // namespace sloth::accounts
