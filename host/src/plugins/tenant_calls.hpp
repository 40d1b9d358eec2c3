#pragma once

// How many provider calls one organisation may have in flight at once from the routes it
// drives (a connect's verification, a web chat turn, a search's embedding). The plugin
// threads, outbound connections and the providers' own limits are shared by every salon:
// without a cap one owner firing requests at a slow endpoint takes them from all others.
// Past the cap a call is refused at once (rate_limited, retry in 1 s), never queued.

#include <cstdint>
#include <map>
#include <mutex>

namespace sloth::plugins {

class TenantCalls {
 public:
  explicit TenantCalls(int per_tenant) : per_tenant_(per_tenant) {}

  class Slot {
   public:
    Slot(TenantCalls& owner, std::int64_t tenant) : owner_(&owner), tenant_(tenant) {}
    Slot(Slot&& other) noexcept : owner_(other.owner_), tenant_(other.tenant_) {
      other.owner_ = nullptr;
    }
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    Slot& operator=(Slot&&) = delete;
    ~Slot();

   private:
    TenantCalls* owner_;
    std::int64_t tenant_;
  };

  // Throws errors::Error (kRateLimited, retry_after_s 1) when `tenant` is at its cap.
  Slot Acquire(std::int64_t tenant);
  int in_flight(std::int64_t tenant) const;
  int per_tenant() const { return per_tenant_; }

 private:
  void Release(std::int64_t tenant);
  const int per_tenant_;
  mutable std::mutex mu_;
  std::map<std::int64_t, int> in_flight_;
};

}  // namespace sloth::plugins
