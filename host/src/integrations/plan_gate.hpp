#pragma once

// Which integrations an organisation's plan allows. Connecting checks the plan first; a plan
// change switches integrations off (recorded with the reason, never deleted) or back on.

#include <cstdint>
#include <optional>
#include <string>

#include "db/pool.hpp"

namespace sloth::integrations {

struct GateChanges {
  int disabled = 0;
  int enabled = 0;
};

class PlanGate {
 public:
  // Throws errors::Error payment_required naming `feature` when the plan lacks it or the
  // subscription does not allow paid features, and limit_reached naming `integrations` when
  // one more integration would pass the plan's limit. `feature` empty = ungated plugin.
  // Locks the subscription's row for the rest of the transaction (connects serialise).
  void CheckCanEnable(db::Transaction& tx, std::int64_t tenant_id,
                      const std::optional<std::string>& feature);

  // Brings the tenant's integrations in line with its current plan: active ones the plan no
  // longer allows are disabled (by 'plan', with the reason); ones the plan disabled earlier
  // and now allows are enabled again, oldest first, up to max_integrations.
  GateChanges Apply(db::Transaction& tx, std::int64_t tenant_id);
};

// A subscription changed (billing::Lifecycle::OnChange): a new plan re-gates integrations.
void OnPlanChange(db::Transaction& tx, std::int64_t tenant_id, const std::string& plan_before,
                  const std::string& plan_after);

}  // namespace sloth::integrations
