#include "referrals/referral_jobs.hpp"

#include <spdlog/spdlog.h>

#include "referrals/referrals.hpp"

namespace sloth::referrals {

void RegisterJobs(jobs::WorkerPool& jobs, billing::Lifecycle& lifecycle) {
  jobs.Register("referrals.stats", [](jobs::JobContext& ctx) {
    spdlog::info("referrals: {} status change(s)", Referrals().SyncStatus(ctx.tx, std::nullopt));
  });
  jobs.Register("referrals.rewards", [&lifecycle](jobs::JobContext& ctx) {
    Referrals r;
    r.SyncStatus(ctx.tx, std::nullopt);
    spdlog::info("referrals: {} reward(s) granted", r.GrantRewards(ctx.tx, lifecycle));
  });
}

}  // namespace sloth::referrals
