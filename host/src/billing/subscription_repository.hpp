#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "db/pool.hpp"

namespace sloth::billing {

struct Subscription {
  std::int64_t tenant_id = 0;
  std::string plan;
  std::string status;  // trialing | active | past_due | canceled | unpaid
  std::string billing_cycle;
  std::optional<std::string> trial_end;  // RFC 3339
  std::string current_period_start;
  std::string current_period_end;
  bool cancel_at_period_end = false;
  std::optional<std::string> provider;  // payment plugin managing it; none for trials and codes
  std::optional<std::string> provider_subscription_id;
  // The month of usage now running: monthly windows anchored at current_period_start.
  std::string usage_period_start;
  std::string usage_period_end;
};

// One recorded change of plan or status (subscription_changes).
struct SubscriptionChange {
  std::optional<std::string> from_plan;
  std::string to_plan;
  std::optional<std::string> from_status;
  std::string to_status;
  std::string reason;
  std::string at;  // RFC 3339
};

class SubscriptionRepository {
 public:
  // The subscription a new organisation starts with: a trial of `plan` for `trial_days`,
  // or an active month when the plan has no trial.
  void InsertInitial(db::Transaction& tx, std::int64_t tenant_id, const std::string& plan,
                     int trial_days);
  std::optional<Subscription> Find(db::Transaction& tx, std::int64_t tenant_id);
  // Find, and the subscription's plan's value of `limit` (0 when the plan has none) in the
  // same statement: a usage check reads both on every counted message.
  std::optional<std::pair<Subscription, std::int64_t>> FindWithLimit(db::Transaction& tx,
                                                                     std::int64_t tenant_id,
                                                                     const std::string& limit);
  // FindWithLimit's statement ($1 the tenant, $2 the limit's key; the usage window in
  // `usage_start`, the limit in `plan_limit`), for a statement that counts usage in the same
  // round trip (UsageMeter::TryConsume).
  static const std::string& WithLimitSql();
  std::optional<SubscriptionChange> LastChange(db::Transaction& tx, std::int64_t tenant_id);
  // The address the payment provider bills: the user who checks out. "" when unknown.
  std::string BillingEmail(db::Transaction& tx, std::int64_t user_id);
};

}  // namespace sloth::billing
