#pragma once

// Referrals: a sign-up with a user's code creates one (pending). Its status follows the
// referred organisation's subscription: active while that is a paid plan in state active,
// pending until it first is, inactive after.
//
// Rewards: each multiple of 50 active referrals an organisation (the sum over its users)
// reaches upgrades it one plan, once. A reward is never taken back: referrals that later go
// inactive lower the count, and reaching the same multiple again grants nothing (the
// multiple is recorded); only a new, higher multiple grants again.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/pool.hpp"

namespace sloth::billing {
class Lifecycle;
}

namespace sloth::referrals {

constexpr int kRewardEvery = 50;

struct Reward {
  int threshold = 0;
  int active_count = 0;
  std::string old_plan, new_plan, created_at;
};

struct Stats {
  int total = 0, pending = 0, active = 0, inactive = 0;
  int next_reward_at = kRewardEvery;  // active count of the next reward
  std::vector<Reward> rewards;
};

struct Referral {
  std::int64_t id = 0;
  std::string organization;  // masked: the referred salon's name is theirs
  std::string status, created_at, status_changed_at;
};

class Referrals {
 public:
  // Brings the referral of one referred organisation (or every one, when nullopt) in line
  // with its subscription. Returns how many changed.
  int SyncStatus(db::Transaction& tx, std::optional<std::int64_t> referred_tenant);

  // Grants the rewards due to every organisation. Returns how many were granted.
  int GrantRewards(db::Transaction& tx, billing::Lifecycle& lifecycle);

  Stats StatsFor(db::Transaction& tx, std::int64_t tenant_id);
  std::vector<Referral> List(db::Transaction& tx, std::int64_t tenant_id, int limit,
                             std::int64_t after_id);
};

// A subscription changed (billing::Lifecycle::OnChange): the referral it may be follows.
void OnSubscriptionChange(db::Transaction& tx, std::int64_t tenant_id, const std::string&,
                          const std::string&);

}  // namespace sloth::referrals
