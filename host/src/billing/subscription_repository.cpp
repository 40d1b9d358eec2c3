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

namespace {

// The subscription's columns, FROM and WHERE; `extra` adds columns after them.
std::string SelectSubscription(const std::string& extra) {
  return "SELECT tenant_id, plan_slug, status, billing_cycle, public.rfc3339(trial_end) AS "
         "trial_end, public.rfc3339(current_period_start) AS period_start, "
         "public.rfc3339(current_period_end) AS period_end, cancel_at_period_end, provider, "
         "provider_subscription_id, public.rfc3339(w) AS usage_start, "
         "public.rfc3339(least(w + interval '1 month', greatest(current_period_end, w))) AS "
         "usage_end" +
         extra +
         " FROM public.subscriptions, public.usage_period_start(current_period_start, "
         "now()) AS w WHERE tenant_id = $1";
}

Subscription SubscriptionRow(const db::Result& r) {
  const auto row = r.At(0);
  Subscription s;
  s.tenant_id = row.Int("tenant_id");
  s.plan = row.Text("plan_slug");
  s.status = row.Text("status");
  s.billing_cycle = row.Text("billing_cycle");
  s.trial_end = row.OptText("trial_end");
  s.current_period_start = row.Text("period_start");
  s.current_period_end = row.Text("period_end");
  s.cancel_at_period_end = row.Bool("cancel_at_period_end");
  s.provider = row.OptText("provider");
  s.provider_subscription_id = row.OptText("provider_subscription_id");
  s.usage_period_start = row.Text("usage_start");
  s.usage_period_end = row.Text("usage_end");
  return s;
}

}  // namespace

std::optional<Subscription> SubscriptionRepository::Find(db::Transaction& tx,
                                                         std::int64_t tenant_id) {
  static const std::string sql = SelectSubscription("");
  auto r = tx.Exec(sql, tenant_id);
  if (r.Empty()) return std::nullopt;
  return SubscriptionRow(r);
}

const std::string& SubscriptionRepository::WithLimitSql() {
  static const std::string sql = SelectSubscription(
      ", coalesce((SELECT (limits ->> $2)::bigint FROM public.plans WHERE slug = plan_slug), 0) "
      "AS plan_limit");
  return sql;
}

std::optional<std::pair<Subscription, std::int64_t>> SubscriptionRepository::FindWithLimit(
    db::Transaction& tx, std::int64_t tenant_id, const std::string& limit) {
  auto r = tx.Exec(WithLimitSql(), tenant_id, limit);
  if (r.Empty()) return std::nullopt;
  return std::make_pair(SubscriptionRow(r), r.At(0).Int("plan_limit"));
}

std::optional<SubscriptionChange> SubscriptionRepository::LastChange(db::Transaction& tx,
                                                                     std::int64_t tenant_id) {
  auto r = tx.Exec(
      "SELECT from_plan, to_plan, from_status, to_status, reason, public.rfc3339(created_at) AS at "
      "FROM public.subscription_changes WHERE tenant_id = $1 ORDER BY id DESC LIMIT 1",
      tenant_id);
  if (r.Empty()) return std::nullopt;
  const auto row = r.At(0);
  return SubscriptionChange{row.OptText("from_plan"),   row.Text("to_plan"),
                            row.OptText("from_status"), row.Text("to_status"),
                            row.Text("reason"),         row.Text("at")};
}

std::string SubscriptionRepository::BillingEmail(db::Transaction& tx, std::int64_t user_id) {
  auto r = tx.Exec("SELECT email FROM public.users WHERE id = $1", user_id);
  return r.Empty() ? std::string() : r.Text(0, 0);
}

}  // namespace sloth::billing
