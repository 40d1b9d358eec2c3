#pragma once

#include "billing/subscription_lifecycle.hpp"
#include "jobs/worker_pool.hpp"

namespace sloth::billing {

// The periodic work of billing (scheduled in host.yaml): billing.trial_expiry,
// billing.period_rollover and billing.usage_check. Each runs in its job's transaction, so
// its effects commit with its completion, once.
void RegisterJobs(jobs::WorkerPool& jobs, Lifecycle& lifecycle);

}  // namespace sloth::billing
