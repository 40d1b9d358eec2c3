#include "billing/subscription_routes.hpp"

#include <regex>

#include "api/validation.hpp"
#include "billing/activation_codes.hpp"
#include "billing/plan_catalog.hpp"
#include "billing/subscription_repository.hpp"
#include "billing/usage.hpp"
#include "http/api_error.hpp"

namespace sloth::billing {

namespace {

nlohmann::json CodeJson(const ActivationCode& c) {
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {{"id", c.id},
          {"code", c.code},
          {"plan", c.plan},
          {"duration_days", c.duration_days},
          {"expires_at", opt(c.expires_at)},
          {"redeemed_by_tenant", opt(c.redeemed_by_tenant)},
          {"redeemed_at", opt(c.redeemed_at)}};
}

nlohmann::json CurrentJson(db::Transaction& tx, std::int64_t tenant) {
  const auto sub = SubscriptionRepository().Find(tx, tenant);
  if (!sub) throw http::ApiError(404, "not_found", "the organisation has no subscription");
  const auto plan = FindPlan(tx, sub->plan);
  return {{"plan", sub->plan},
          {"plan_details", plan ? plan->ToJson() : nlohmann::json(nullptr)},
          {"status", sub->status},
          {"billing_cycle", sub->billing_cycle},
          {"trial_end", sub->trial_end ? nlohmann::json(*sub->trial_end) : nlohmann::json(nullptr)},
          {"current_period_start", sub->current_period_start},
          {"current_period_end", sub->current_period_end}};
}

}  // namespace

void AddRoutes(api::Api& api) {
  api.Add("GET", "/api/subscriptions/plans", api::Access::kPublic, [](api::Context& ctx) {
    nlohmann::json plans = nlohmann::json::array();
    for (const auto& p : ListPlans(ctx.tx, /*public_only=*/true)) plans.push_back(p.ToJson());
    return http::Response::Json(200, {{"plans", plans}});
  });

  api.Add("GET", "/api/subscriptions/current", api::Access::kTenant, [](api::Context& ctx) {
    return http::Response::Json(200, CurrentJson(ctx.tx, ctx.tenant()));
  });

  api.Add("POST", "/api/subscriptions/activate-code", api::Access::kOwner, [](api::Context& ctx) {
    const auto body = ctx.request.Json();
    api::OnlyFields(body, {"code"});
    const std::string code = api::RequiredString(body, "code", 32);
    if (!ActivationCodes().Redeem(ctx.tx, code, ctx.tenant())) {
      throw http::ApiError(404, "not_found", "the code does not exist, was used or has expired",
                           "code");
    }
    return http::Response::Json(200, CurrentJson(ctx.tx, ctx.tenant()));
  });

  api.Add("POST", "/api/admin/codes/generate", api::Access::kAdmin, [](api::Context& ctx) {
    const auto body = ctx.request.Json();
    api::OnlyFields(body, {"plan", "duration_days", "expires_at", "count"});
    const std::string plan = api::RequiredString(body, "plan", 32);
    if (!FindPlan(ctx.tx, plan))
      throw http::ApiError(400, "invalid_argument", "no such plan", "plan");
    const int days = body.value("duration_days", -1);
    if (days != 0 && days != 30 && days != 90 && days != 365) {
      throw http::ApiError(400, "invalid_argument", "duration_days must be 0, 30, 90 or 365",
                           "duration_days");
    }
    const int count = body.value("count", 1);
    if (count < 1 || count > 1000) {
      throw http::ApiError(400, "invalid_argument", "count must be between 1 and 1000", "count");
    }
    const auto expires = api::OptionalString(body, "expires_at", 40);
    if (expires && !expires->empty() &&
        !std::regex_match(
            *expires,
            std::regex(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$)"))) {
      throw http::ApiError(400, "invalid_argument", "expires_at must be an RFC 3339 time",
                           "expires_at");
    }
    const auto codes = ActivationCodes().Generate(
        ctx.tx, plan, days, expires && !expires->empty() ? expires : std::nullopt, count,
        ctx.user().user_id);
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : codes) list.push_back(CodeJson(c));
    return http::Response::Json(201, {{"codes", list}});
  });

  api.Add("GET", "/api/admin/codes", api::Access::kAdmin, [](api::Context& ctx) {
    const auto page = api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"));
    const auto list = ActivationCodes().List(ctx.tx, page.limit + 1, page.after);
    return http::Response::Json(
        200, api::PageJson(
                 list, page, [](const ActivationCode& c) { return c.id; }, CodeJson));
  });

  api.Add("GET", "/api/subscriptions/usage", api::Access::kTenant, [](api::Context& ctx) {
    return http::Response::Json(200, UsageMeter().Read(ctx.tx, ctx.tenant()).ToJson());
  });
}

}  // namespace sloth::billing
