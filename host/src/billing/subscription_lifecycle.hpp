#pragma once

// Every change of a subscription's plan or status goes through here, in the caller's
// transaction: the change is recorded with its reason, then every listener runs in the same
// transaction (referral statuses follow, plan gating switches integrations off or back on);
// the concerns that react subscribe at composition, so billing depends on none of them.
//
//   trialing --trial ends unpaid--> canceled --> fallback plan (active)
//   trialing/active --checkout paid--> active --period ends unpaid--> past_due
//   past_due --invoice paid--> active;  past_due --grace days--> unpaid --> fallback plan
//   active --cancel--> (cancel_at_period_end) --period ends--> canceled --> fallback plan
//
// "Ended" states (canceled, unpaid) are recorded in public.subscription_changes and the
// organisation continues on the hidden fallback plan (free), so it never loses access to
// what the free plan allows.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/pool.hpp"

namespace sloth::billing {

struct LifecycleOptions {
  std::string fallback_plan = "free";
  std::chrono::hours past_due_grace{24 * 7};
  // A provider-managed period that ended this long ago without a paid invoice is past_due:
  // providers send invoice.paid shortly after the period turns.
  std::chrono::hours renewal_grace{24};
};

// A payment provider's event, normalised by the payment plugin.
struct PaymentEvent {
  std::string provider;  // plugin id
  std::string id;
  std::string type;
  nlohmann::json data;  // {tenant_id?, customer?, subscription?, status?, plan?, cycle?,
                        //  current_period_start?, current_period_end?, cancel_at_period_end?}
};

// What a provider's event does to a subscription: the transition, decided from the
// subscription's status, the event and the status the provider reports, before any SQL.
struct Transition {
  enum class Kind {
    kCheckout,  // a paid checkout: active on the plan bought
    kEnd,       // ended (`status` canceled | unpaid), then the fallback plan
    kUpdate,    // the provider's view of period, plan and status (`status` the next one)
    kPaid,      // an invoice paid: active again
    kPastDue,   // an invoice failed: past_due
    kIgnore,    // nothing changes (`reason` says why)
  };
  Kind kind = Kind::kIgnore;
  std::string status;
  std::string reason;
};

// `status`: the subscription's now; `type`: the event's; `provider_status`: the status the
// event carries (subscription events); `current`: the event is about the organisation's
// current provider subscription (a replaced one changes nothing but a new checkout).
Transition OnPaymentEvent(const std::string& status, const std::string& type,
                          const std::string& provider_status, bool current);

class Lifecycle {
 public:
  explicit Lifecycle(LifecycleOptions options = {}) : options_(std::move(options)) {}

  // Trials whose end has passed without payment: canceled, then the fallback plan.
  int ExpireTrials(db::Transaction& tx);
  // Periods that have ended: cancel-at-period-end and activation terms end; free periods
  // roll over; provider renewals not paid go past_due; past_due beyond the grace is unpaid.
  int RollPeriods(db::Transaction& tx);

  // Applies a provider event exactly once (by provider and event id) in this transaction.
  // Returns the outcome recorded ("applied", "duplicate", or "ignored: <why>").
  std::string ApplyPaymentEvent(db::Transaction& tx, const PaymentEvent& event);

  // The owner asked to cancel: the subscription runs to the end of its period (or trial)
  // and then ends. Returns false when there is nothing to cancel (fallback plan).
  bool CancelAtPeriodEnd(db::Transaction& tx, std::int64_t tenant_id);

  // Active on `plan` from now for `days` (0: no end), the trial and any cancellation
  // cleared (an activation code). The row is locked first; the change is recorded.
  void ActivateForTerm(db::Transaction& tx, std::int64_t tenant_id, const std::string& plan,
                       int days, const std::string& reason);

  // The plan changes (activation code, referral reward) with the reason recorded.
  void ChangePlan(db::Transaction& tx, std::int64_t tenant_id, const std::string& plan,
                  const std::string& reason);

  // The paid subscription ended with `status` (canceled | unpaid): recorded, then the
  // organisation moves to the fallback plan.
  void End(db::Transaction& tx, std::int64_t tenant_id, const std::string& status,
           const std::string& reason);

  const LifecycleOptions& options() const { return options_; }

  // Runs in the transaction of every recorded change of a tenant's subscription, with the
  // plan and status before and after. Subscribe before the host starts.
  using ChangeListener =
      std::function<void(db::Transaction& tx, std::int64_t tenant_id,
                         const std::string& plan_before, const std::string& plan_after)>;
  void OnChange(ChangeListener listener) { listeners_.push_back(std::move(listener)); }

  // For changes made elsewhere (activation codes): lock the row, change it, then Record.
  struct State {
    std::string plan, status;
  };
  State Lock(db::Transaction& tx, std::int64_t tenant_id);
  // Records before -> now and runs what follows a change (referrals, plan gating).
  void Record(db::Transaction& tx, std::int64_t tenant_id, const State& before,
              const std::string& reason);

 private:
  std::optional<std::int64_t> TenantOf(db::Transaction& tx, const PaymentEvent& event);
  std::string Apply(db::Transaction& tx, std::int64_t tenant_id, const PaymentEvent& event);

  LifecycleOptions options_;
  std::vector<ChangeListener> listeners_;
};

}  // namespace sloth::billing
