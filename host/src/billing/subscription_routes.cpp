#include "billing/subscription_routes.hpp"

#include "billing/plan_catalog.hpp"
#include "billing/subscription_repository.hpp"
#include "billing/usage.hpp"
#include "http/api_error.hpp"

namespace sloth::billing {

void AddRoutes(api::Api& api) {
  api.Add("GET", "/api/subscriptions/plans", api::Access::kPublic, [](api::Context& ctx) {
    nlohmann::json plans = nlohmann::json::array();
    for (const auto& p : ListPlans(ctx.tx, /*public_only=*/true)) plans.push_back(p.ToJson());
    return http::Response::Json(200, {{"plans", plans}});
  });

  api.Add("GET", "/api/subscriptions/current", api::Access::kTenant, [](api::Context& ctx) {
    const auto sub = SubscriptionRepository().Find(ctx.tx, ctx.tenant());
    if (!sub) throw http::ApiError(404, "not_found", "the organisation has no subscription");
    const auto plan = FindPlan(ctx.tx, sub->plan);
    return http::Response::Json(
        200,
        {{"plan", sub->plan},
         {"plan_details", plan ? plan->ToJson() : nlohmann::json(nullptr)},
         {"status", sub->status},
         {"billing_cycle", sub->billing_cycle},
         {"trial_end", sub->trial_end ? nlohmann::json(*sub->trial_end) : nlohmann::json(nullptr)},
         {"current_period_start", sub->current_period_start},
         {"current_period_end", sub->current_period_end}});
  });

  api.Add("GET", "/api/subscriptions/usage", api::Access::kTenant, [](api::Context& ctx) {
    return http::Response::Json(200, UsageMeter().Read(ctx.tx, ctx.tenant()).ToJson());
  });
}

}  // namespace sloth::billing
