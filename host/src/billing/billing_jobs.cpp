#include "billing/billing_jobs.hpp"

#include <spdlog/spdlog.h>

#include "billing/usage.hpp"

namespace sloth::billing {

void RegisterJobs(jobs::WorkerPool& jobs, Lifecycle& lifecycle) {
  jobs.Register("billing.trial_expiry", [&lifecycle](jobs::JobContext& ctx) {
    spdlog::info("billing: {} trial(s) ended", lifecycle.ExpireTrials(ctx.tx));
  });
  jobs.Register("billing.period_rollover", [&lifecycle](jobs::JobContext& ctx) {
    spdlog::info("billing: {} period(s) rolled over or ended", lifecycle.RollPeriods(ctx.tx));
  });
  jobs.Register("billing.usage_check", [](jobs::JobContext& ctx) {
    spdlog::info("billing: {} new usage alert(s)", UsageMeter().CheckAll(ctx.tx));
  });
}

}  // namespace sloth::billing
