#pragma once

// Usage against the plan: checked and counted in one statement before the work is done,
// so concurrent requests can never take a tenant past its limit.

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "db/pool.hpp"

namespace sloth::billing {

struct Usage {
  std::string period_start;  // RFC 3339
  std::string period_end;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> metrics;  // metric -> (used, max)
  nlohmann::json alerts = nlohmann::json::array();  // [{metric, level, used, max, at}] this window
  nlohmann::json ToJson() const;
};

class UsageMeter {
 public:
  // Counts `amount` of `metric` (messages, conversations, photos, documents, storage_mb) for
  // the tenant. Throws http::ApiError 402 when the subscription does not allow use
  // (past_due, canceled, unpaid) and 429 naming the limit, used and max when it would be
  // exceeded; then nothing is counted.
  void Consume(db::Transaction& tx, std::int64_t tenant_id, const std::string& metric,
               std::int64_t amount = 1);
  // The same refusals as Consume, counting nothing: a cheap look before costly work (an
  // upload read in vain). Consume stays the authority.
  void Check(db::Transaction& tx, std::int64_t tenant_id, const std::string& metric,
             std::int64_t amount = 1);
  // Gives back `amount` of a running total (documents, storage_mb) when what it counted is
  // deleted, never below zero. Monthly metrics are not given back.
  void Release(db::Transaction& tx, std::int64_t tenant_id, const std::string& metric,
               std::int64_t amount = 1);
  Usage Read(db::Transaction& tx, std::int64_t tenant_id);
  // Records every organisation that reached 80% or 100% of a monthly limit in its current
  // window (once per metric, window and level). Returns how many new alerts.
  int CheckAll(db::Transaction& tx);

 private:
  struct Allowance {
    std::int64_t max = 0;  // < 0: unlimited
    std::string period;
    bool per_period = false;
  };
  Allowance Allow(db::Transaction& tx, std::int64_t tenant_id, const std::string& metric,
                  std::int64_t amount);
  static std::int64_t Used(db::Transaction& tx, std::int64_t tenant_id, const std::string& metric,
                           const std::string& period);
  [[noreturn]] static void Refuse(const std::string& metric, const Allowance& a, std::int64_t used);
};

}  // namespace sloth::billing
