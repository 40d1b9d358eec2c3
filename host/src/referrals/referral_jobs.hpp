#pragma once

#include "billing/subscription_lifecycle.hpp"
#include "jobs/worker_pool.hpp"

namespace sloth::referrals {

// referrals.stats (statuses follow subscriptions) and referrals.rewards (every multiple of
// 50 active referrals moves the referrer one plan up, once), scheduled in host.yaml.
void RegisterJobs(jobs::WorkerPool& jobs, billing::Lifecycle& lifecycle);

}  // namespace sloth::referrals
