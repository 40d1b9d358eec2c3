#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "billing/subscription_lifecycle.hpp"
#include "db/pool.hpp"

namespace sloth::billing {

struct ActivationCode {
  std::int64_t id = 0;
  std::string code;
  std::string plan;
  int duration_days = 0;
  std::optional<std::string> expires_at;
  std::optional<std::int64_t> redeemed_by_tenant;
  std::optional<std::string> redeemed_at;
};

class ActivationCodes {
 public:
  std::vector<ActivationCode> Generate(db::Transaction& tx, const std::string& plan,
                                       int duration_days,
                                       const std::optional<std::string>& expires_at, int count,
                                       std::int64_t created_by);
  std::vector<ActivationCode> List(db::Transaction& tx, int limit, std::int64_t after_id);
  // Redeems `code` for `tenant_id` and puts the tenant on the code's plan: active, for
  // duration_days (0 = no end). Returns the plan, or nullopt when the code is unknown,
  // used or expired. Atomic: of two concurrent redemptions exactly one succeeds. The
  // subscription changes through `lifecycle` (its listeners run).
  std::optional<std::string> Redeem(db::Transaction& tx, const std::string& code,
                                    std::int64_t tenant_id, Lifecycle& lifecycle);
};

}  // namespace sloth::billing
