#include "billing/plan_catalog.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "schema/schema.hpp"

namespace sloth::billing {
namespace {

using config::Field;
using config::Type;

const char* kLimitNames[] = {"users",
                             "documents",
                             "photos_per_month",
                             "messages_per_month",
                             "conversations_per_month",
                             "integrations",
                             "storage_mb"};

Field F(std::string name, Type type, std::optional<std::string> def, bool required = false) {
  Field f;
  f.name = std::move(name);
  f.type = type;
  f.default_value = std::move(def);
  f.required = required;
  return f;
}

const std::vector<Field>& Schema() {
  static const std::vector<Field> schema = [] {
    Field limits = F("limits", Type::kMap, std::nullopt);
    for (const char* n : kLimitNames) {
      Field l = F(n, Type::kInteger, std::nullopt, true);
      l.min = -1;
      limits.children.push_back(l);
    }
    Field price_m = F("price_monthly", Type::kInteger, std::nullopt, true);
    price_m.min = 0;
    Field price_y = F("price_yearly", Type::kInteger, std::nullopt, true);
    price_y.min = 0;
    Field trial = F("trial_days", Type::kInteger, "14");
    trial.min = 0;
    trial.max = 365;
    Field plan = F("plans", Type::kMap, std::nullopt);
    plan.open = true;
    plan.children = {F("name", Type::kString, std::nullopt, true),
                     F("order", Type::kInteger, std::nullopt, true),
                     price_m,
                     price_y,
                     trial,
                     F("is_public", Type::kBoolean, "true"),
                     F("watermark", Type::kBoolean, "false"),
                     limits,
                     F("features", Type::kStringList, "[]")};
    Field currency = F("currency", Type::kString, "USD");
    return std::vector<Field>{currency, plan};
  }();
  return schema;
}

Plan FromRow(const db::Result& r, int i) {
  Plan p;
  p.slug = r.Text(i, 0);
  p.name = r.Text(i, 1);
  p.order = static_cast<int>(r.Int(i, 2));
  p.price_monthly = r.Int(i, 3);
  p.price_yearly = r.Int(i, 4);
  p.currency = r.Text(i, 5);
  p.trial_days = static_cast<int>(r.Int(i, 6));
  p.is_public = r.Bool(i, 7);
  p.watermark = r.Bool(i, 8);
  const auto limits = nlohmann::json::parse(r.View(i, 9));
  for (const auto& [k, v] : limits.items()) p.limits[k] = v.get<std::int64_t>();
  p.features = nlohmann::json::parse(r.View(i, 10)).get<std::vector<std::string>>();
  return p;
}

constexpr const char* kSelect =
    "SELECT slug, name, sort_order, price_monthly, price_yearly, currency, trial_days, "
    "is_public, watermark, limits::text, to_json(features)::text FROM public.plans ";

}  // namespace

std::int64_t Plan::Limit(const std::string& limit) const {
  auto it = limits.find(limit);
  return it == limits.end() ? 0 : it->second;
}

nlohmann::json Plan::ToJson() const {
  return {{"slug", slug},
          {"name", name},
          {"price_monthly", price_monthly},
          {"price_yearly", price_yearly},
          {"currency", currency},
          {"limits", limits},
          {"features", features},
          {"trial_days", trial_days},
          {"watermark", watermark},
          {"order", order}};
}

std::vector<Plan> ParsePlans(const std::string& yaml, const std::string& name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw config::ConfigError(name + ":" + std::to_string(e.mark.line + 1) +
                              ": invalid YAML: " + e.msg);
  }
  const auto env = [](const std::string& v) -> std::optional<std::string> {
    if (const char* s = std::getenv(v.c_str())) return std::string(s);
    return std::nullopt;
  };
  const YAML::Node r = config::Resolve(root, Schema(), name, env, "");
  const std::string currency = r["currency"].as<std::string>();
  if (currency.size() != 3)
    throw config::ConfigError(name + ": key 'currency': a 3-letter ISO code");
  std::vector<Plan> out;
  for (const auto& kv : r["plans"]) {
    Plan p;
    p.slug = kv.first.as<std::string>();
    const auto& v = kv.second;
    p.name = v["name"].as<std::string>();
    p.order = v["order"].as<int>();
    p.price_monthly = v["price_monthly"].as<std::int64_t>();
    p.price_yearly = v["price_yearly"].as<std::int64_t>();
    p.currency = currency;
    p.trial_days = v["trial_days"].as<int>();
    p.is_public = v["is_public"].as<bool>();
    p.watermark = v["watermark"].as<bool>();
    for (const char* l : kLimitNames) p.limits[l] = v["limits"][l].as<std::int64_t>();
    for (const auto& f : v["features"]) p.features.push_back(f.as<std::string>());
    out.push_back(std::move(p));
  }
  if (out.empty()) throw config::ConfigError(name + ": key 'plans': at least one plan is required");
  return out;
}

std::vector<Plan> LoadPlans(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw config::ConfigError(path + ": cannot read the plans file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParsePlans(ss.str(), path);
}

void SyncPlans(db::Pool& pool, const std::vector<Plan>& plans) {
  pool.InTransaction([&](db::Transaction& tx) {
    // Serialise concurrent start-ups: the upserts below would otherwise race on the rows.
    tx.Exec("SELECT pg_advisory_xact_lock(hashtext('sloth.plans'))");
    nlohmann::json slugs = nlohmann::json::array();
    for (const auto& p : plans) {
      slugs.push_back(p.slug);
      tx.Exec(
          "INSERT INTO public.plans (slug, name, sort_order, price_monthly, price_yearly, "
          "currency, "
          "trial_days, is_public, watermark, limits, features) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, "
          "ARRAY(SELECT jsonb_array_elements_text($11::jsonb))) "
          "ON CONFLICT (slug) DO UPDATE SET name = excluded.name, sort_order = "
          "excluded.sort_order, "
          "price_monthly = excluded.price_monthly, price_yearly = excluded.price_yearly, "
          "currency = excluded.currency, trial_days = excluded.trial_days, "
          "is_public = excluded.is_public, watermark = excluded.watermark, "
          "limits = excluded.limits, features = excluded.features, updated_at = now()",
          p.slug, p.name, p.order, p.price_monthly, p.price_yearly, p.currency, p.trial_days,
          p.is_public, p.watermark, nlohmann::json(p.limits).dump(),
          nlohmann::json(p.features).dump());
    }
    tx.Exec(
        "UPDATE public.plans SET is_public = false WHERE NOT slug = ANY(ARRAY(SELECT "
        "jsonb_array_elements_text($1::jsonb)))",
        slugs.dump());
  });
}

db::Query<std::optional<Plan>> FindPlanQuery(const std::string& slug) {
  static const std::string sql = std::string(kSelect) + "WHERE slug = $1";
  return db::MakeQuery<std::optional<Plan>>(
      [](const db::Result& r) { return r.Empty() ? std::nullopt : std::optional(FromRow(r, 0)); },
      sql, slug);
}

std::optional<Plan> FindPlan(db::Transaction& tx, const std::string& slug) {
  return tx.Exec(FindPlanQuery(slug));
}

std::vector<Plan> ListPlans(db::Transaction& tx, bool public_only) {
  auto r = tx.Exec(std::string(kSelect) + (public_only ? "WHERE is_public " : "") +
                   "ORDER BY sort_order");
  std::vector<Plan> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back(FromRow(r, i));
  return out;
}

}  // namespace sloth::billing
