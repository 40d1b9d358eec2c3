#include "billing/subscription_repository.hpp"

namespace sloth::billing {

void SubscriptionRepository::InsertInitial(db::Transaction& tx, std::int64_t tenant_id,
                                           const std::string& plan, int trial_days) {
  tx.Exec(
      "INSERT INTO public.subscriptions (tenant_id, plan_slug, status, trial_end, "
      "current_period_start, current_period_end) VALUES ($1, $2, "
      "CASE WHEN $3::int > 0 THEN 'trialing' ELSE 'active' END, "
      "CASE WHEN $3::int > 0 THEN now() + make_interval(days => $3::int) END, now(), "
      "CASE WHEN $3::int > 0 THEN now() + make_interval(days => $3::int) "
      "ELSE now() + interval '1 month' END)",
      tenant_id, plan, trial_days);
}

std::optional<Subscription> SubscriptionRepository::Find(db::Transaction& tx,
                                                         std::int64_t tenant_id) {
  constexpr const char* kTime = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'";
  auto r = tx.Exec(
      std::string("SELECT tenant_id, plan_slug, status, billing_cycle, "
                  "to_char(trial_end AT TIME ZONE 'UTC', ") +
          kTime + "), to_char(current_period_start AT TIME ZONE 'UTC', " + kTime +
          "), CASE WHEN isfinite(current_period_end) THEN to_char(current_period_end AT TIME "
          "ZONE 'UTC', " +
          kTime + ") ELSE 'infinity' END FROM public.subscriptions WHERE tenant_id = $1",
      tenant_id);
  if (r.Empty()) return std::nullopt;
  return Subscription{r.Int(0, 0),     r.Text(0, 1), r.Text(0, 2), r.Text(0, 3),
                      r.OptText(0, 4), r.Text(0, 5), r.Text(0, 6)};
}

}  // namespace sloth::billing
