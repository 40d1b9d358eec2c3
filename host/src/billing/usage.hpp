#pragma once

// Usage against the plan: checked and counted in one statement before the work is done,
// so concurrent requests can never take a tenant past its limit.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include <nlohmann/json.hpp>

#include "db/pool.hpp"
#include "errors/error.hpp"

namespace sloth::billing {

struct Usage {
  std::string period_start;  // RFC 3339
  std::string period_end;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> metrics;  // metric -> (used, max)
  nlohmann::json alerts = nlohmann::json::array();  // [{metric, level, used, max, at}] this window
  nlohmann::json ToJson() const;
};

// Why the plan does not allow one more unit: the subscription does not allow use at all
// (none, past_due, canceled, unpaid), or the metric's limit is reached.
struct Refusal {
  enum class Kind { kSubscription, kLimit };
  Kind kind = Kind::kLimit;
  std::string metric;
  std::int64_t used = 0;
  std::int64_t max = 0;
  bool per_period = false;
  std::string message;

  // payment_required for kSubscription, limit_reached (naming metric, used, max) for kLimit.
  errors::Error ToError() const;
};

// Storage is counted in whole megabytes (MiB), at least one per file.
std::int64_t MegabytesOf(std::uint64_t bytes);

class UsageMeter {
 public:
  // Counts `amount` of `metric` (messages, conversations, photos, documents, storage_mb) for
  // the tenant; nullopt when counted. Otherwise nothing is counted and the answer says why:
  // a worker that only asks "is this over the plan?" reads it, a route throws ToError().
  std::optional<Refusal> TryConsume(db::Transaction& tx, std::int64_t tenant_id,
                                    const std::string& metric, std::int64_t amount = 1);
  // TryConsume, throwing the refusal as an errors::Error.
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
  // The metric's allowance under the tenant's subscription, or why there is none.
  std::variant<Allowance, Refusal> Allow(db::Transaction& tx, std::int64_t tenant_id,
                                         const std::string& metric, std::int64_t amount);
  static std::int64_t Used(db::Transaction& tx, std::int64_t tenant_id, const std::string& metric,
                           const std::string& period);
  static Refusal Over(const std::string& metric, const Allowance& a, std::int64_t used);
};

}  // namespace sloth::billing
