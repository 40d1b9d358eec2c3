#include "plugins/tenant_calls.hpp"

#include "errors/error.hpp"

namespace sloth::plugins {

TenantCalls::Slot::~Slot() {
  if (owner_) owner_->Release(tenant_);
}

TenantCalls::Slot TenantCalls::Acquire(std::int64_t tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  int& n = in_flight_[tenant];
  if (n >= per_tenant_) {
    throw errors::Error(errors::Code::kRateLimited,
                        "your organisation already has " + std::to_string(n) +
                            " provider calls in progress; retry in 1 s",
                        "", {{"retry_after_s", 1}});
  }
  ++n;
  return Slot(*this, tenant);
}

int TenantCalls::in_flight(std::int64_t tenant) const {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = in_flight_.find(tenant);
  return it == in_flight_.end() ? 0 : it->second;
}

void TenantCalls::Release(std::int64_t tenant) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = in_flight_.find(tenant);
  if (it != in_flight_.end() && --it->second <= 0) in_flight_.erase(it);
}

}  // namespace sloth::plugins
