#include "referrals/referrals.hpp"

#include <spdlog/spdlog.h>

#include "billing/subscription_lifecycle.hpp"

namespace sloth::referrals {

int Referrals::SyncStatus(db::Transaction& tx, std::optional<std::int64_t> referred_tenant) {
  // paid = an active subscription on a plan with a price: a trial or the free plan is not.
  return static_cast<int>(
      tx.Exec("UPDATE public.referrals r SET status = x.next, status_changed_at = now() FROM ("
              "  SELECT r2.id, CASE WHEN s.status = 'active' AND (p.price_monthly > 0 OR "
              "  p.price_yearly > 0) THEN 'active' WHEN r2.status = 'pending' THEN 'pending' "
              "  ELSE 'inactive' END AS next FROM public.referrals r2 "
              "  JOIN public.subscriptions s ON s.tenant_id = r2.referred_tenant_id "
              "  JOIN public.plans p ON p.slug = s.plan_slug "
              "  WHERE $1::bigint IS NULL OR r2.referred_tenant_id = $1::bigint) x "
              "WHERE r.id = x.id AND r.status <> x.next",
              referred_tenant)
          .Affected());
}

int Referrals::GrantRewards(db::Transaction& tx, billing::Lifecycle& lifecycle) {
  // Organisations with at least one multiple of 50 active referrals not yet rewarded.
  auto due = tx.Exec(
      "SELECT u.tenant_id, count(*) FROM public.referrals r JOIN public.users u ON u.id = "
      "r.referrer_user_id WHERE r.status = 'active' AND u.tenant_id IS NOT NULL GROUP BY "
      "u.tenant_id HAVING count(*) >= $1 AND count(*) / $1 * $1 > coalesce((SELECT "
      "max(threshold) FROM public.referral_rewards w WHERE w.tenant_id = u.tenant_id), 0) "
      "ORDER BY u.tenant_id",
      kRewardEvery);
  int granted = 0;
  for (int i = 0; i < due.Rows(); ++i) {
    const std::int64_t tenant = due.Int(i, 0);
    const int active = static_cast<int>(due.Int(i, 1));
    for (int threshold = kRewardEvery; threshold <= active; threshold += kRewardEvery) {
      const auto state = lifecycle.Lock(tx, tenant);
      // The next plan up among the public ones; at the top the reward is still recorded.
      auto next = tx.Exec(
          "SELECT coalesce((SELECT n.slug FROM public.plans n, public.plans c WHERE c.slug = $1 "
          "AND n.is_public AND n.sort_order > c.sort_order ORDER BY n.sort_order LIMIT 1), $1)",
          state.plan);
      const std::string new_plan = next.Text(0, 0);
      auto inserted = tx.Exec(
          "INSERT INTO public.referral_rewards (tenant_id, threshold, active_count, old_plan, "
          "new_plan) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1",
          tenant, threshold, active, state.plan, new_plan);
      if (inserted.Empty()) continue;  // this multiple was rewarded before
      ++granted;
      if (new_plan != state.plan) {
        lifecycle.ChangePlan(tx, tenant, new_plan,
                             "referral reward: " + std::to_string(threshold) + " active referrals");
      }
      spdlog::info("referrals: tenant {} reached {} active referrals: {} -> {}", tenant, threshold,
                   state.plan, new_plan);
    }
  }
  return granted;
}

Stats Referrals::StatsFor(db::Transaction& tx, std::int64_t tenant_id) {
  Stats s;
  auto r = tx.Exec(
      "SELECT count(*) AS total, count(*) FILTER (WHERE r.status = 'pending') AS pending, "
      "count(*) FILTER (WHERE r.status = 'active') AS active, count(*) FILTER (WHERE r.status = "
      "'inactive') AS inactive FROM "
      "public.referrals r JOIN public.users u ON u.id = r.referrer_user_id WHERE u.tenant_id = "
      "$1",
      tenant_id);
  const auto counts = r.At(0);
  s.total = static_cast<int>(counts.Int("total"));
  s.pending = static_cast<int>(counts.Int("pending"));
  s.active = static_cast<int>(counts.Int("active"));
  s.inactive = static_cast<int>(counts.Int("inactive"));
  auto w = tx.Exec(
      "SELECT threshold, active_count, old_plan, new_plan, public.rfc3339(created_at) AS at FROM "
      "public.referral_rewards WHERE tenant_id = $1 ORDER BY threshold",
      tenant_id);
  int highest = 0;
  for (int i = 0; i < w.Rows(); ++i) {
    const auto row = w.At(i);
    s.rewards.push_back({static_cast<int>(row.Int("threshold")),
                         static_cast<int>(row.Int("active_count")), row.Text("old_plan"),
                         row.Text("new_plan"), row.Text("at")});
    highest = std::max(highest, static_cast<int>(row.Int("threshold")));
  }
  s.next_reward_at = std::max(highest, s.active / kRewardEvery * kRewardEvery) + kRewardEvery;
  return s;
}

std::vector<Referral> Referrals::List(db::Transaction& tx, std::int64_t tenant_id, int limit,
                                      std::int64_t after_id) {
  // The referred salon's name is masked to its first and last letters: it is their data.
  auto r = tx.Exec(
      "SELECT r.id, CASE WHEN length(t.name) <= 2 THEN repeat('*', length(t.name)) ELSE "
      "left(t.name, 1) || repeat('*', least(length(t.name) - 2, 8)) || right(t.name, 1) END AS "
      "salon, r.status, public.rfc3339(r.created_at) AS created_at, "
      "public.rfc3339(r.status_changed_at) AS status_changed_at FROM "
      "public.referrals r JOIN public.users u ON u.id = r.referrer_user_id JOIN public.tenants t "
      "ON t.id = r.referred_tenant_id WHERE u.tenant_id = $1 AND r.id > $2 ORDER BY r.id LIMIT "
      "$3",
      tenant_id, after_id, limit);
  std::vector<Referral> out;
  for (int i = 0; i < r.Rows(); ++i) {
    const auto row = r.At(i);
    out.push_back({row.Int("id"), row.Text("salon"), row.Text("status"), row.Text("created_at"),
                   row.Text("status_changed_at")});
  }
  return out;
}

void OnSubscriptionChange(db::Transaction& tx, std::int64_t tenant_id, const std::string&,
                          const std::string&) {
  Referrals().SyncStatus(tx, tenant_id);
}

}  // namespace sloth::referrals
