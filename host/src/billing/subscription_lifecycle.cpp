#include "billing/subscription_lifecycle.hpp"

#include <spdlog/spdlog.h>

#include "json/json_read.hpp"

namespace sloth::billing {
namespace {

std::optional<std::int64_t> Seconds(const nlohmann::json& data, const char* key) {
  const auto it = data.find(key);
  if (it == data.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

}  // namespace

Lifecycle::State Lifecycle::Lock(db::Transaction& tx, std::int64_t tenant_id) {
  auto r =
      tx.Exec("SELECT plan_slug, status FROM public.subscriptions WHERE tenant_id = $1 FOR UPDATE",
              tenant_id);
  if (r.Empty())
    throw std::runtime_error("tenant " + std::to_string(tenant_id) + " has no subscription");
  return {r.Text(0, 0), r.Text(0, 1)};
}

void Lifecycle::Record(db::Transaction& tx, std::int64_t tenant_id, const State& before,
                       const std::string& reason) {
  auto now =
      tx.Exec("SELECT plan_slug, status FROM public.subscriptions WHERE tenant_id = $1", tenant_id);
  const State after{now.Text(0, 0), now.Text(0, 1)};
  tx.Exec(
      "INSERT INTO public.subscription_changes (tenant_id, from_plan, to_plan, from_status, "
      "to_status, reason) VALUES ($1, $2, $3, $4, $5, left($6, 200))",
      tenant_id, before.plan, after.plan, before.status, after.status, reason);
  if (after.status != before.status || after.plan != before.plan) {
    spdlog::info("subscription of tenant {}: {}/{} -> {}/{} ({})", tenant_id, before.plan,
                 before.status, after.plan, after.status, reason);
  }
  for (const auto& listener : listeners_) listener(tx, tenant_id, before.plan, after.plan);
}

void Lifecycle::End(db::Transaction& tx, std::int64_t tenant_id, const std::string& status,
                    const std::string& reason) {
  const State before = Lock(tx, tenant_id);
  tx.Exec("UPDATE public.subscriptions SET status = $2, updated_at = now() WHERE tenant_id = $1",
          tenant_id, status);
  Record(tx, tenant_id, before, reason);
  const State ended{before.plan, status};
  tx.Exec(
      "UPDATE public.subscriptions SET plan_slug = $2, status = 'active', billing_cycle = "
      "'monthly', trial_end = NULL, current_period_start = now(), current_period_end = now() + "
      "interval '1 month', provider = NULL, provider_customer_id = NULL, "
      "provider_subscription_id = NULL, cancel_at_period_end = false, past_due_since = NULL, "
      "updated_at = now() WHERE tenant_id = $1",
      tenant_id, options_.fallback_plan);
  Record(tx, tenant_id, ended, "fallback to the " + options_.fallback_plan + " plan");
}

void Lifecycle::ChangePlan(db::Transaction& tx, std::int64_t tenant_id, const std::string& plan,
                           const std::string& reason) {
  const State before = Lock(tx, tenant_id);
  // A trial turned into a real plan starts a fresh month; an active period keeps its dates.
  tx.Exec(
      "UPDATE public.subscriptions SET plan_slug = $2, updated_at = now(), "
      "current_period_start = CASE WHEN status = 'trialing' THEN now() ELSE "
      "current_period_start END, current_period_end = CASE WHEN status = 'trialing' THEN now() "
      "+ interval '1 month' ELSE current_period_end END, trial_end = CASE WHEN status = "
      "'trialing' THEN NULL ELSE trial_end END, status = CASE WHEN status = 'trialing' THEN "
      "'active' ELSE status END WHERE tenant_id = $1",
      tenant_id, plan);
  Record(tx, tenant_id, before, reason);
}

int Lifecycle::ExpireTrials(db::Transaction& tx) {
  auto r = tx.Exec(
      "SELECT tenant_id FROM public.subscriptions WHERE status = 'trialing' AND trial_end <= "
      "now() ORDER BY tenant_id FOR UPDATE SKIP LOCKED");
  for (int i = 0; i < r.Rows(); ++i)
    End(tx, r.Int(i, 0), "canceled", "trial ended without payment");
  return r.Rows();
}

int Lifecycle::RollPeriods(db::Transaction& tx) {
  int n = 0;
  const auto grace = std::to_string(options_.past_due_grace.count()) + " hours";
  auto unpaid = tx.Exec(
      "SELECT tenant_id FROM public.subscriptions WHERE status = 'past_due' AND past_due_since "
      "<= now() - $1::interval ORDER BY tenant_id FOR UPDATE SKIP LOCKED",
      grace);
  for (int i = 0; i < unpaid.Rows(); ++i, ++n) {
    End(tx, unpaid.Int(i, 0), "unpaid",
        "payment not received within " + std::to_string(options_.past_due_grace.count() / 24) +
            " days");
  }

  auto due = tx.Exec(
      "SELECT s.tenant_id, s.cancel_at_period_end, s.provider IS NOT NULL AS provider_managed, "
      "p.price_monthly = 0 AND p.price_yearly = 0 AS free, s.current_period_end <= now() - "
      "$1::interval AS renewal_overdue "
      "FROM public.subscriptions s JOIN public.plans p ON p.slug = s.plan_slug "
      "WHERE s.status = 'active' AND s.current_period_end <= now() ORDER BY s.tenant_id "
      "FOR UPDATE OF s SKIP LOCKED",
      std::to_string(options_.renewal_grace.count()) + " hours");
  for (int i = 0; i < due.Rows(); ++i) {
    const auto row = due.At(i);
    const std::int64_t tenant = row.Int("tenant_id");
    if (row.Bool("cancel_at_period_end")) {
      End(tx, tenant, "canceled", "canceled at the end of the period");
    } else if (row.Bool("provider_managed")) {
      if (!row.Bool("renewal_overdue")) continue;  // the provider's renewal may still arrive
      const State before = Lock(tx, tenant);
      tx.Exec(
          "UPDATE public.subscriptions SET status = 'past_due', past_due_since = now(), "
          "updated_at = now() WHERE tenant_id = $1",
          tenant);
      Record(tx, tenant, before, "renewal not paid by the end of the period");
    } else if (row.Bool("free")) {
      // A free plan renews itself: the next window anchored at the old end.
      tx.Exec(
          "UPDATE public.subscriptions SET current_period_start = "
          "public.usage_period_start(current_period_end, now()), current_period_end = "
          "public.usage_period_start(current_period_end, now()) + CASE WHEN billing_cycle = "
          "'yearly' THEN interval '1 year' ELSE interval '1 month' END, updated_at = now() "
          "WHERE tenant_id = $1",
          tenant);
    } else {
      End(tx, tenant, "canceled", "the paid term ended");
    }
    ++n;
  }
  return n;
}

void Lifecycle::ActivateForTerm(db::Transaction& tx, std::int64_t tenant_id,
                                const std::string& plan, int days, const std::string& reason) {
  const State before = Lock(tx, tenant_id);
  tx.Exec(
      "UPDATE public.subscriptions SET plan_slug = $2, status = 'active', trial_end = NULL, "
      "current_period_start = now(), current_period_end = CASE WHEN $3::int = 0 THEN "
      "'infinity'::timestamptz ELSE now() + make_interval(days => $3::int) END, "
      "cancel_at_period_end = false, past_due_since = NULL, updated_at = now() "
      "WHERE tenant_id = $1",
      tenant_id, plan, days);
  Record(tx, tenant_id, before, reason);
}

bool Lifecycle::CancelAtPeriodEnd(db::Transaction& tx, std::int64_t tenant_id) {
  const State before = Lock(tx, tenant_id);
  auto r = tx.Exec(
      "UPDATE public.subscriptions SET cancel_at_period_end = true, updated_at = now() WHERE "
      "tenant_id = $1 AND NOT cancel_at_period_end AND NOT (plan_slug = $2 AND provider IS "
      "NULL) AND status IN ('trialing', 'active', 'past_due') RETURNING 1",
      tenant_id, options_.fallback_plan);
  if (r.Empty()) return false;
  Record(tx, tenant_id, before, "cancellation requested: ends at the end of the period");
  return true;
}

std::optional<std::int64_t> Lifecycle::TenantOf(db::Transaction& tx, const PaymentEvent& e) {
  const std::string sub = json_read::TextOf(e.data, "subscription");
  if (!sub.empty()) {
    auto r = tx.Exec(
        "SELECT tenant_id FROM public.subscriptions WHERE provider = $1 AND "
        "provider_subscription_id = $2",
        e.provider, sub);
    if (!r.Empty()) return r.Int(0, 0);
  }
  const std::string tenant = json_read::TextOf(e.data, "tenant_id");
  if (!tenant.empty() && tenant.size() < 19 &&
      tenant.find_first_not_of("0123456789") == std::string::npos) {
    auto r = tx.Exec("SELECT id FROM public.tenants WHERE id = $1::bigint", tenant);
    if (!r.Empty()) return r.Int(0, 0);
  }
  return std::nullopt;
}

std::string Lifecycle::ApplyPaymentEvent(db::Transaction& tx, const PaymentEvent& e) {
  auto fresh = tx.Exec(
      "INSERT INTO public.payment_events (provider, event_id, type, outcome) VALUES ($1, $2, "
      "$3, 'pending') ON CONFLICT DO NOTHING RETURNING 1",
      e.provider, e.id, e.type);
  if (fresh.Empty()) return "duplicate";
  const auto tenant = TenantOf(tx, e);
  const std::string outcome = tenant ? Apply(tx, *tenant, e) : "ignored: no organisation";
  tx.Exec(
      "UPDATE public.payment_events SET tenant_id = $3, outcome = $4 WHERE provider = $1 AND "
      "event_id = $2",
      e.provider, e.id, tenant, outcome);
  return outcome;
}

Transition OnPaymentEvent(const std::string& status, const std::string& type,
                          const std::string& provider_status, bool current) {
  using K = Transition::Kind;
  if (type == "checkout.session.completed") return {K::kCheckout, "active", ""};
  if (!current) return {K::kIgnore, status, "not the organisation's current subscription"};
  if (type == "customer.subscription.deleted") return {K::kEnd, "canceled", ""};
  if (type == "customer.subscription.created" || type == "customer.subscription.updated") {
    if (provider_status == "canceled" || provider_status == "unpaid")
      return {K::kEnd, provider_status, ""};
    const bool known = provider_status == "active" || provider_status == "trialing" ||
                       provider_status == "past_due";
    return {K::kUpdate, known ? provider_status : status, ""};
  }
  if (type == "invoice.paid" || type == "invoice.payment_succeeded")
    return {K::kPaid, "active", ""};
  if (type == "invoice.payment_failed") return {K::kPastDue, "past_due", ""};
  return {K::kIgnore, status, "unhandled type " + type};
}

std::string Lifecycle::Apply(db::Transaction& tx, std::int64_t tenant, const PaymentEvent& e) {
  const std::string sub = json_read::TextOf(e.data, "subscription");
  const State before = Lock(tx, tenant);
  auto cur = tx.Exec(
      "SELECT coalesce(provider_subscription_id, '') FROM public.subscriptions WHERE tenant_id = "
      "$1",
      tenant);
  const std::string current_sub = cur.Text(0, 0);
  // Events about a subscription the organisation has since replaced change nothing.
  const bool is_current = !sub.empty() && sub == current_sub;
  const auto period_start = Seconds(e.data, "current_period_start");
  const auto period_end = Seconds(e.data, "current_period_end");

  const std::string provider_status = json_read::TextOf(e.data, "status");
  const Transition next = OnPaymentEvent(before.status, e.type, provider_status, is_current);
  switch (next.kind) {
    case Transition::Kind::kIgnore:
      return "ignored: " + next.reason;
    case Transition::Kind::kCheckout: {
      const std::string plan = json_read::TextOf(e.data, "plan");
      const std::string cycle =
          json_read::TextOf(e.data, "cycle") == "yearly" ? "yearly" : "monthly";
      if (plan.empty() || tx.Exec("SELECT 1 FROM public.plans WHERE slug = $1", plan).Empty()) {
        return "ignored: unknown plan '" + plan + "'";
      }
      tx.Exec(
          "UPDATE public.subscriptions SET plan_slug = $2, status = 'active', billing_cycle = $3, "
          "trial_end = NULL, current_period_start = now(), current_period_end = now() + CASE WHEN "
          "$3 = 'yearly' THEN interval '1 year' ELSE interval '1 month' END, provider = $4, "
          "provider_customer_id = nullif($5, ''), provider_subscription_id = nullif($6, ''), "
          "cancel_at_period_end = false, past_due_since = NULL, updated_at = now() "
          "WHERE tenant_id = $1",
          tenant, plan, cycle, e.provider, json_read::TextOf(e.data, "customer"), sub);
      Record(tx, tenant, before, "checkout completed (" + e.provider + ")");
      return "applied";
    }
    case Transition::Kind::kEnd:
      End(tx, tenant, next.status,
          e.type == "customer.subscription.deleted"
              ? "subscription ended at " + e.provider
              : "subscription " + next.status + " at " + e.provider);
      return "applied";
    case Transition::Kind::kUpdate: {
      const std::string plan = json_read::TextOf(e.data, "plan");
      const bool plan_known =
          !plan.empty() && !tx.Exec("SELECT 1 FROM public.plans WHERE slug = $1", plan).Empty();
      tx.Exec(
          "UPDATE public.subscriptions SET status = $2, plan_slug = CASE WHEN $3 THEN $4 ELSE "
          "plan_slug END, current_period_start = coalesce(to_timestamp($5::bigint), "
          "current_period_start), current_period_end = coalesce(to_timestamp($6::bigint), "
          "current_period_end), cancel_at_period_end = coalesce($7::boolean, "
          "cancel_at_period_end), past_due_since = CASE WHEN $2 = 'past_due' THEN "
          "coalesce(past_due_since, now()) END, updated_at = now() WHERE tenant_id = $1",
          tenant, next.status, plan_known, plan, period_start, period_end,
          e.data.contains("cancel_at_period_end") && e.data["cancel_at_period_end"].is_boolean()
              ? std::optional<bool>(e.data["cancel_at_period_end"].get<bool>())
              : std::nullopt);
      Record(tx, tenant, before, "subscription updated at " + e.provider);
      return "applied";
    }
    case Transition::Kind::kPaid:
      tx.Exec(
          "UPDATE public.subscriptions SET status = 'active', past_due_since = NULL, "
          "current_period_start = coalesce(to_timestamp($2::bigint), current_period_start), "
          "current_period_end = greatest(current_period_end, coalesce(to_timestamp($3::bigint), "
          "current_period_end)), updated_at = now() WHERE tenant_id = $1",
          tenant, period_start, period_end);
      Record(tx, tenant, before, "invoice paid");
      return "applied";
    case Transition::Kind::kPastDue:
      tx.Exec(
          "UPDATE public.subscriptions SET status = 'past_due', past_due_since = "
          "coalesce(past_due_since, now()), updated_at = now() WHERE tenant_id = $1",
          tenant);
      Record(tx, tenant, before, "invoice payment failed");
      return "applied";
  }
  return "ignored: unhandled type " + e.type;
}

}  // namespace sloth::billing
