#include "accounts/session_cache.hpp"

namespace sloth::accounts {

SessionCache::SessionCache(std::chrono::milliseconds ttl, std::size_t max_entries,
                           std::function<Clock::time_point()> now)
    : ttl_(ttl), max_entries_(max_entries), now_(std::move(now)) {}

bool SessionCache::IsLive(std::int64_t user_id, const std::string& session) const {
  if (!enabled()) return false;
  const auto now = now_();
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = live_.find(session);
  return it != live_.end() && it->second.user_id == user_id && now < it->second.until;
}

void SessionCache::RememberLive(std::int64_t user_id, std::optional<std::int64_t> tenant_id,
                                const std::string& session, Clock::time_point checked_at) {
  if (!enabled()) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (checked_at <= last_forget_) return;
  if (live_.size() >= max_entries_) {
    const auto now = now_();
    std::erase_if(live_, [&](const auto& kv) { return kv.second.until <= now; });
    if (live_.size() >= max_entries_) live_.clear();  // all fresh: start over, stay bounded
  }
  // The entry lasts from when the check was sent, not from when its answer came.
  live_.insert_or_assign(session, Entry{user_id, tenant_id, checked_at + ttl_});
}

void SessionCache::ForgetSession(const std::string& session) {
  std::lock_guard<std::mutex> lock(mu_);
  last_forget_ = now_();
  live_.erase(session);
}

void SessionCache::ForgetUser(std::int64_t user_id) {
  std::lock_guard<std::mutex> lock(mu_);
  last_forget_ = now_();
  std::erase_if(live_, [&](const auto& kv) { return kv.second.user_id == user_id; });
}

void SessionCache::ForgetTenant(std::int64_t tenant_id) {
  std::lock_guard<std::mutex> lock(mu_);
  last_forget_ = now_();
  std::erase_if(live_, [&](const auto& kv) { return kv.second.tenant_id == tenant_id; });
}

}  // namespace sloth::accounts
