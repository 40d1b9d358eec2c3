#include "integrations/plan_gate.hpp"

#include <spdlog/spdlog.h>

#include "errors/error.hpp"

namespace sloth::integrations {
namespace {

struct PlanView {
  std::string plan;
  std::string status;
  std::int64_t max = 0;  // -1 = unlimited
};

PlanView ReadPlan(db::Transaction& tx, std::int64_t tenant_id) {
  auto r = tx.Exec(
      "SELECT s.plan_slug, s.status, coalesce((p.limits->>'integrations')::bigint, 0) "
      "FROM public.subscriptions s JOIN public.plans p ON p.slug = s.plan_slug "
      "WHERE s.tenant_id = $1",
      tenant_id);
  if (r.Empty())
    throw errors::Error(errors::Code::kPaymentRequired, "the organisation has no plan");
  return {r.Text(0, 0), r.Text(0, 1), r.Int(0, 2)};
}

bool PlanHas(db::Transaction& tx, const std::string& plan, const std::string& feature) {
  return tx
      .Exec("SELECT 1 FROM public.plans WHERE slug = $1 AND $2 = ANY (features)", plan, feature)
      .Rows();
}

}  // namespace

void PlanGate::CheckCanEnable(db::Transaction& tx, std::int64_t tenant_id,
                              const std::optional<std::string>& feature) {
  // Serialises concurrent connects of one tenant so max_integrations holds.
  tx.Exec("SELECT 1 FROM public.subscriptions WHERE tenant_id = $1 FOR UPDATE", tenant_id);
  const PlanView p = ReadPlan(tx, tenant_id);
  if (p.status != "trialing" && p.status != "active") {
    throw errors::Error(errors::Code::kPaymentRequired,
                        "the subscription is " + p.status + "; settle it to connect integrations",
                        feature.value_or("subscription"));
  }
  if (feature && !feature->empty() && !PlanHas(tx, p.plan, *feature)) {
    throw errors::Error(errors::Code::kPaymentRequired,
                        "the " + p.plan + " plan does not include " + *feature, *feature,
                        {{"reason", "feature_not_in_plan"}});
  }
  if (p.max >= 0) {
    const auto used = tx.Exec(
                            "SELECT count(*) FROM public.integrations WHERE tenant_id = $1 AND "
                            "status IN ('active', 'error')",
                            tenant_id)
                          .Int(0, 0);
    if (used + 1 > p.max) {
      throw errors::Error::LimitReached("the " + p.plan + " plan allows " + std::to_string(p.max) +
                                            " integrations; used " + std::to_string(used),
                                        "integrations", used, p.max);
    }
  }
}

GateChanges PlanGate::Apply(db::Transaction& tx, std::int64_t tenant_id) {
  const PlanView p = ReadPlan(tx, tenant_id);
  GateChanges out;
  out.disabled += static_cast<int>(
      tx.Exec("UPDATE public.integrations i SET status = 'disabled', disabled_by = 'plan', "
              "disabled_reason = 'the ' || $2 || ' plan does not include ' || i.feature, "
              "updated_at = now() FROM public.plans p WHERE i.tenant_id = $1 AND p.slug = $2 "
              "AND i.status IN ('active', 'error') AND i.feature IS NOT NULL "
              "AND NOT (i.feature = ANY (p.features))",
              tenant_id, p.plan)
          .Affected());
  if (p.max >= 0) {
    // Over the count: the newest go first, so what the salon set up first keeps working.
    out.disabled += static_cast<int>(
        tx.Exec("UPDATE public.integrations SET status = 'disabled', disabled_by = 'plan', "
                "disabled_reason = 'the ' || $2 || ' plan allows ' || $3::bigint || "
                "' integrations', updated_at = now() WHERE id IN (SELECT id FROM "
                "public.integrations WHERE tenant_id = $1 AND status IN ('active', 'error') "
                "ORDER BY created_at DESC, id OFFSET $3::bigint)",
                tenant_id, p.plan, p.max)
            .Affected());
  }
  out.enabled = static_cast<int>(
      tx.Exec(
            "WITH room AS (SELECT CASE WHEN $3::bigint < 0 THEN NULL ELSE greatest(0, $3::bigint - "
            "(SELECT count(*) FROM public.integrations WHERE tenant_id = $1 AND status IN "
            "('active', 'error'))) END AS n) "
            "UPDATE public.integrations SET status = 'active', disabled_by = NULL, "
            "disabled_reason = NULL, updated_at = now() WHERE id IN (SELECT i.id FROM "
            "public.integrations i, public.plans p WHERE i.tenant_id = $1 AND p.slug = $2 AND "
            "i.status = 'disabled' AND i.disabled_by = 'plan' AND (i.feature IS NULL OR "
            "i.feature = ANY (p.features)) ORDER BY i.created_at, i.id LIMIT (SELECT n FROM room))",
            tenant_id, p.plan, p.max)
          .Affected());
  return out;
}

void OnPlanChange(db::Transaction& tx, std::int64_t tenant_id, const std::string& plan_before,
                  const std::string& plan_after) {
  if (plan_before == plan_after) return;
  const auto g = PlanGate().Apply(tx, tenant_id);
  if (g.disabled || g.enabled) {
    spdlog::info("tenant {}: plan {} disabled {} and re-enabled {} integration(s)", tenant_id,
                 plan_after, g.disabled, g.enabled);
  }
}

}  // namespace sloth::integrations
