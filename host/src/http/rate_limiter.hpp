#pragma once

// Token buckets keyed by caller (an IP, a user, an email), in memory. Each host keeps its
// own buckets: behind N hosts the effective limit is up to N times the configured one,
// which is the trade for not touching the database on every request.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace sloth::http {

struct RateLimit {
  double capacity = 100;              // requests allowed in one window
  std::chrono::seconds window{3600};  // refilled evenly over this window
};

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // Takes one token from `key`'s bucket. Returns 0 when allowed, else the seconds until a
  // token is available (for Retry-After).
  std::int64_t Take(const std::string& key, const RateLimit& limit,
                    Clock::time_point now = Clock::now());

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  void Sweep(Clock::time_point now);
  std::mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_;
  Clock::time_point last_sweep_ = Clock::now();
};

}  // namespace sloth::http
