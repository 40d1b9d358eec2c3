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
  auto r = tx.Exec(
      "SELECT tenant_id, plan_slug, status, billing_cycle, public.rfc3339(trial_end), "
      "public.rfc3339(current_period_start), public.rfc3339(current_period_end) "
      "FROM public.subscriptions WHERE tenant_id = $1",
      tenant_id);
  if (r.Empty()) return std::nullopt;
  return Subscription{r.Int(0, 0),     r.Text(0, 1), r.Text(0, 2), r.Text(0, 3),
                      r.OptText(0, 4), r.Text(0, 5), r.Text(0, 6)};
}

}  // namespace sloth::billing
