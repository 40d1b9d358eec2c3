#include "http/rate_limiter.hpp"

#include <algorithm>
#include <cmath>

namespace sloth::http {

std::int64_t RateLimiter::Take(const std::string& key, const RateLimit& limit,
                               Clock::time_point now) {
  const double rate = limit.capacity / std::chrono::duration<double>(limit.window).count();
  std::lock_guard<std::mutex> lock(mu_);
  Sweep(now);
  auto [it, fresh] = buckets_.try_emplace(key, Bucket{limit.capacity, now});
  Bucket& b = it->second;
  if (!fresh) {
    const double elapsed = std::chrono::duration<double>(now - b.updated).count();
    b.tokens = std::min(limit.capacity, b.tokens + elapsed * rate);
    b.updated = now;
  }
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return 0;
  }
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil((1.0 - b.tokens) / rate)));
}

void RateLimiter::Sweep(Clock::time_point now) {
  // Forget buckets idle for a day (they are full again by then), at most once a minute, so
  // a flood of distinct keys cannot grow memory without bound.
  if (now - last_sweep_ < std::chrono::minutes(1)) return;
  last_sweep_ = now;
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = (now - it->second.updated > std::chrono::hours(24)) ? buckets_.erase(it) : std::next(it);
  }
}

}  // namespace sloth::http
