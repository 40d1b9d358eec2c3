#pragma once

// The plans of config/plans.yaml, validated like host.yaml and synced into public.plans at
// start-up (upsert: editing the file and restarting updates them; a plan removed from the
// file is kept, hidden, because subscriptions may still point at it).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/pool.hpp"

namespace sloth::billing {

struct Plan {
  std::string slug;
  std::string name;
  int order = 0;
  std::int64_t price_monthly = 0;  // minor units
  std::int64_t price_yearly = 0;
  std::string currency;
  int trial_days = 14;
  bool is_public = true;
  bool watermark = false;
  std::map<std::string, std::int64_t> limits;  // -1 = unlimited
  std::vector<std::string> features;

  std::int64_t Limit(const std::string& limit) const;
  nlohmann::json ToJson() const;
};

// Reads and validates a plans file; throws config::ConfigError naming key and line.
std::vector<Plan> LoadPlans(const std::string& path);
std::vector<Plan> ParsePlans(const std::string& yaml, const std::string& name);

// Upserts every plan in one transaction; plans missing from the file are hidden.
void SyncPlans(db::Pool& pool, const std::vector<Plan>& plans);

// Reads one plan (public schema) in the caller's transaction.
std::optional<Plan> FindPlan(db::Transaction& tx, const std::string& slug);
db::Query<std::optional<Plan>> FindPlanQuery(const std::string& slug);
std::vector<Plan> ListPlans(db::Transaction& tx, bool public_only);

}  // namespace sloth::billing
