#include "billing/usage.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "billing/plan_catalog.hpp"
#include "billing/subscription_repository.hpp"
#include "errors/error.hpp"

namespace sloth::billing {
namespace {

struct Metric {
  const char* name;
  const char* limit;  // key in the plan's limits
  bool per_period;
};

constexpr Metric kMetrics[] = {{"messages", "messages_per_month", true},
                               {"conversations", "conversations_per_month", true},
                               {"photos", "photos_per_month", true},
                               {"documents", "documents", false},
                               {"storage_mb", "storage_mb", false}};

const Metric* Find(const std::string& name) {
  for (const auto& m : kMetrics) {
    if (name == m.name) return &m;
  }
  return nullptr;
}

constexpr const char* kTotals = "1970-01-01T00:00:00Z";

const Metric& Known(const std::string& metric, std::int64_t amount) {
  const Metric* m = Find(metric);
  if (!m || amount < 1) throw std::invalid_argument("unknown usage metric or amount: " + metric);
  return *m;
}

// Why a subscription in `status` (nullopt: none) allows no use; nullopt when it allows it.
std::optional<Refusal> RefusedBy(const std::optional<std::string>& status,
                                 const std::string& metric) {
  if (status && (*status == "trialing" || *status == "active")) return std::nullopt;
  Refusal r;
  r.kind = Refusal::Kind::kSubscription;
  r.metric = metric;
  r.message = status ? "the subscription is " + *status : "the organisation has no subscription";
  return r;
}

}  // namespace

nlohmann::json Usage::ToJson() const {
  nlohmann::json usage = nlohmann::json::object();
  for (const auto& [metric, v] : metrics) usage[metric] = {{"used", v.first}, {"max", v.second}};
  return {{"period_start", period_start},
          {"period_end", period_end},
          {"usage", usage},
          {"alerts", alerts}};
}

std::int64_t MegabytesOf(std::uint64_t bytes) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>((bytes + (1 << 20) - 1) >> 20));
}

errors::Error Refusal::ToError() const {
  if (kind == Kind::kSubscription) return errors::Error::PaymentRequired(message);
  return errors::Error::LimitReached(message, metric, used, max);
}

std::variant<UsageMeter::Allowance, Refusal> UsageMeter::Allow(db::Transaction& tx,
                                                               std::int64_t tenant_id,
                                                               const std::string& metric,
                                                               std::int64_t amount) {
  const Metric& m = Known(metric, amount);
  const auto found = SubscriptionRepository().FindWithLimit(tx, tenant_id, m.limit);
  if (auto refusal = RefusedBy(found ? std::optional(found->first.status) : std::nullopt, metric))
    return *refusal;
  return Allowance{found->second, m.per_period ? found->first.usage_period_start : kTotals,
                   m.per_period};
}

std::int64_t UsageMeter::Used(db::Transaction& tx, std::int64_t tenant_id,
                              const std::string& metric, const std::string& period) {
  return tx
      .Exec(
          "SELECT coalesce((SELECT used FROM public.usage_counters WHERE tenant_id = $1 AND "
          "metric = $2 AND period_start = $3::timestamptz), 0)",
          tenant_id, metric, period)
      .Int(0, 0);
}

Refusal UsageMeter::Over(const std::string& metric, const Allowance& a, std::int64_t used) {
  Refusal r;
  r.metric = metric;
  r.used = used;
  r.max = a.max;
  r.per_period = a.per_period;
  r.message = "the plan allows " + std::to_string(a.max) + " " + metric +
              (a.per_period ? " per period" : "") + "; used " + std::to_string(used);
  return r;
}

void UsageMeter::Consume(db::Transaction& tx, std::int64_t tenant_id, const std::string& metric,
                         std::int64_t amount) {
  if (const auto refusal = TryConsume(tx, tenant_id, metric, amount)) throw refusal->ToError();
}

std::optional<Refusal> UsageMeter::TryConsume(db::Transaction& tx, std::int64_t tenant_id,
                                              const std::string& metric, std::int64_t amount) {
  const Metric& m = Known(metric, amount);
  // One round trip: the subscription's state, window and limit as FindWithLimit reads them,
  // and the count itself — insert, or add while the sum stays within the limit, only when
  // the subscription allows use. The row lock of ON CONFLICT serialises concurrent requests,
  // so exactly `max` units get through.
  static const std::string sql =
      "WITH s AS (" + SubscriptionRepository::WithLimitSql() +
      "), counted AS (INSERT INTO public.usage_counters AS u (tenant_id, metric, period_start, "
      "used) SELECT $1, $3, (CASE WHEN $5 THEN s.usage_start ELSE $6 END)::timestamptz, $4 FROM "
      "s WHERE s.status IN ('trialing', 'active') AND (s.plan_limit < 0 OR $4 <= s.plan_limit) "
      "ON CONFLICT (tenant_id, metric, period_start) DO UPDATE SET used = u.used + excluded.used "
      "WHERE (SELECT plan_limit FROM s) < 0 OR u.used + excluded.used <= (SELECT plan_limit FROM "
      "s) RETURNING used) SELECT s.status, s.usage_start, s.plan_limit, EXISTS (SELECT 1 FROM "
      "counted) AS counted FROM s";
  auto r = tx.Exec(sql, tenant_id, m.limit, metric, amount, m.per_period, kTotals);
  if (auto refusal =
          RefusedBy(r.Empty() ? std::nullopt : std::optional(r.At(0).Text("status")), metric))
    return refusal;
  const auto row = r.At(0);
  if (row.Bool("counted")) return std::nullopt;
  const Allowance a{row.Int("plan_limit"), m.per_period ? row.Text("usage_start") : kTotals,
                    m.per_period};
  return Over(metric, a, Used(tx, tenant_id, metric, a.period));
}

void UsageMeter::Check(db::Transaction& tx, std::int64_t tenant_id, const std::string& metric,
                       std::int64_t amount) {
  const auto allowed = Allow(tx, tenant_id, metric, amount);
  if (const auto* refusal = std::get_if<Refusal>(&allowed)) throw refusal->ToError();
  const Allowance& a = std::get<Allowance>(allowed);
  if (a.max < 0) return;
  const auto used = Used(tx, tenant_id, metric, a.period);
  if (used + amount > a.max) throw Over(metric, a, used).ToError();
}

void UsageMeter::Release(db::Transaction& tx, std::int64_t tenant_id, const std::string& metric,
                         std::int64_t amount) {
  const Metric* m = Find(metric);
  if (!m || m->per_period || amount < 1)
    throw std::invalid_argument("not a running total or amount: " + metric);
  tx.Exec(
      "UPDATE public.usage_counters SET used = greatest(0, used - $3) WHERE tenant_id = $1 AND "
      "metric = $2 AND period_start = $4::timestamptz",
      tenant_id, metric, amount, kTotals);
}

Usage UsageMeter::Read(db::Transaction& tx, std::int64_t tenant_id) {
  Usage u;
  const auto sub = SubscriptionRepository().Find(tx, tenant_id);
  if (!sub)
    throw errors::Error(errors::Code::kPaymentRequired, "the organisation has no subscription");
  u.period_start = sub->usage_period_start;
  u.period_end = sub->usage_period_end;
  const auto plan = FindPlan(tx, sub->plan);
  for (const auto& m : kMetrics) {
    const std::string period = m.per_period ? sub->usage_period_start : kTotals;
    u.metrics[m.name] = {Used(tx, tenant_id, m.name, period), plan ? plan->Limit(m.limit) : 0};
  }
  auto a = tx.Exec(
      "SELECT metric, level, used, max, public.rfc3339(created_at) AS at FROM public.usage_alerts "
      "WHERE tenant_id = $1 AND period_start = $2::timestamptz ORDER BY created_at, metric",
      tenant_id, sub->usage_period_start);
  for (int i = 0; i < a.Rows(); ++i) {
    const auto row = a.At(i);
    u.alerts.push_back({{"metric", row.Text("metric")},
                        {"level", row.Int("level")},
                        {"used", row.Int("used")},
                        {"max", row.Int("max")},
                        {"at", row.Text("at")}});
  }
  return u;
}

int UsageMeter::CheckAll(db::Transaction& tx) {
  int added = 0;
  for (const auto& m : kMetrics) {
    if (!m.per_period) continue;
    // The counters of each organisation's current window against its plan's limit.
    auto r = tx.Exec(
        "INSERT INTO public.usage_alerts (tenant_id, metric, period_start, level, used, max) "
        "SELECT c.tenant_id, c.metric, c.period_start, l.level, c.used, (p.limits->>$2)::bigint "
        "FROM public.usage_counters c JOIN public.subscriptions s ON s.tenant_id = c.tenant_id "
        "JOIN public.plans p ON p.slug = s.plan_slug CROSS JOIN (VALUES (80), (100)) AS l(level) "
        "WHERE c.metric = $1 AND c.period_start = "
        "date_trunc('second', public.usage_period_start(s.current_period_start, now())) "
        "AND (p.limits->>$2)::bigint > 0 AND c.used * 100 >= (p.limits->>$2)::bigint * l.level "
        "ON CONFLICT DO NOTHING RETURNING tenant_id, level, used, max",
        std::string(m.name), std::string(m.limit));
    for (int i = 0; i < r.Rows(); ++i) {
      spdlog::warn("usage: tenant {} reached {}% of its {} limit ({} of {})", r.Int(i, 0),
                   r.Int(i, 1), m.name, r.Int(i, 2), r.Int(i, 3));
    }
    added += r.Rows();
  }
  return added;
}

}  // namespace sloth::billing
