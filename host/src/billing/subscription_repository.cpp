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
      "public.rfc3339(current_period_start), public.rfc3339(current_period_end), "
      "cancel_at_period_end, provider, provider_subscription_id, public.rfc3339(w), "
      "public.rfc3339(least(w + interval '1 month', greatest(current_period_end, w))) "
      "FROM public.subscriptions, public.usage_period_start(current_period_start, now()) AS w "
      "WHERE tenant_id = $1",
      tenant_id);
  if (r.Empty()) return std::nullopt;
  Subscription s;
  s.tenant_id = r.Int(0, 0);
  s.plan = r.Text(0, 1);
  s.status = r.Text(0, 2);
  s.billing_cycle = r.Text(0, 3);
  s.trial_end = r.OptText(0, 4);
  s.current_period_start = r.Text(0, 5);
  s.current_period_end = r.Text(0, 6);
  s.cancel_at_period_end = r.Bool(0, 7);
  s.provider = r.OptText(0, 8);
  s.provider_subscription_id = r.OptText(0, 9);
  s.usage_period_start = r.Text(0, 10);
  s.usage_period_end = r.Text(0, 11);
  return s;
}

}  // namespace sloth::billing
