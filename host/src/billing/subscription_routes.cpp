#include "billing/subscription_routes.hpp"

#include <regex>

#include "api/validation.hpp"
#include "billing/activation_codes.hpp"
#include "billing/plan_catalog.hpp"
#include "billing/subscription_repository.hpp"
#include "billing/usage.hpp"
#include "errors/error.hpp"

#include <spdlog/spdlog.h>

#include "crypto/random_token.hpp"

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

nlohmann::json OptJson(const std::optional<std::string>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json CurrentJson(db::Transaction& tx, std::int64_t tenant) {
  const auto sub = SubscriptionRepository().Find(tx, tenant);
  if (!sub) throw errors::Error(errors::Code::kNotFound, "the organisation has no subscription");
  const auto plan = FindPlan(tx, sub->plan);
  nlohmann::json j = {{"plan", sub->plan},
                      {"plan_details", plan ? plan->ToJson() : nlohmann::json(nullptr)},
                      {"status", sub->status},
                      {"billing_cycle", sub->billing_cycle},
                      {"trial_end", OptJson(sub->trial_end)},
                      {"current_period_start", sub->current_period_start},
                      {"current_period_end", sub->current_period_end},
                      {"cancel_at_period_end", sub->cancel_at_period_end},
                      {"provider", OptJson(sub->provider)},
                      {"last_change", nullptr}};
  if (const auto c = SubscriptionRepository().LastChange(tx, tenant)) {
    j["last_change"] = {{"from_plan", OptJson(c->from_plan)},
                        {"to_plan", c->to_plan},
                        {"from_status", OptJson(c->from_status)},
                        {"to_status", c->to_status},
                        {"reason", c->reason},
                        {"at", c->at}};
  }
  return j;
}

// A provider failure is the provider's, not the caller's: 503 when it is unreachable or
// refusing for now, 502 otherwise, with its message (never its credentials).
[[noreturn]] void ProviderFailed(const plugins::CallOutcome& o) {
  if (o.status == SLOTH_UNAVAILABLE || o.status == SLOTH_TIMEOUT ||
      o.status == SLOTH_RATE_LIMITED) {
    throw errors::Error(errors::Code::kUnavailable,
                        "the payment provider is unavailable: " + o.error);
  }
  throw errors::Error(errors::Code::kProviderError, "the payment provider refused: " + o.error);
}

std::shared_ptr<plugins::PluginInstance> PaymentInstance(Payments& payments) {
  auto inst = payments.instance();
  if (!inst) {
    throw errors::Error(errors::Code::kUnavailable, payments.provider().empty()
                                                        ? "payments are not configured on this host"
                                                        : "the payment provider is not running");
  }
  return inst;
}

void AddPaymentRoutes(api::Api& api, db::Pool& pool, Payments& payments, Lifecycle& lifecycle) {
  // Both call the payment provider, so neither holds a transaction while it waits: what
  // the call needs is read first, its effect recorded after.
  api.AddPooled(
      "POST", "/api/subscriptions/checkout", api::Access::kOwner, [&](api::PooledContext& ctx) {
        const auto body = ctx.request.Json();
        api::OnlyFields(body, {"plan", "cycle"});
        const std::string slug = api::RequiredString(body, "plan", 32);
        const std::string cycle = api::OptionalString(body, "cycle", 16).value_or("monthly");
        if (cycle != "monthly" && cycle != "yearly")
          throw errors::Error::InvalidArgument("cycle must be monthly or yearly", "cycle");
        const std::string email = ctx.InTenant([&](db::Transaction& tx) {
          const auto plan = FindPlan(tx, slug);
          if (!plan || !plan->is_public)
            throw errors::Error::InvalidArgument("no such plan", "plan");
          if ((cycle == "yearly" ? plan->price_yearly : plan->price_monthly) <= 0)
            throw errors::Error::InvalidArgument("the " + slug + " plan is free", "plan");
          const auto sub = SubscriptionRepository().Find(tx, ctx.tenant());
          if (sub && sub->provider && sub->status != "canceled" && sub->status != "unpaid") {
            throw errors::Error::Conflict(
                "the organisation already pays through a subscription; cancel it first");
          }
          return SubscriptionRepository().BillingEmail(tx, ctx.principal.user_id);
        });
        auto inst = PaymentInstance(payments);
        auto key = ctx.request.Header("Idempotency-Key");
        if (!key || key->empty() || key->size() > 200) key = crypto::RandomToken();
        const std::string tenant = std::to_string(ctx.tenant());
        const nlohmann::json request = {
            {"plan", slug},
            {"cycle", cycle},
            {"customer_email", email},
            {"success_url", payments.config().success_url},
            {"cancel_url", payments.config().cancel_url},
            // The same client key always means the same checkout at the provider.
            {"idempotency_key", "checkout-" + tenant + "-" + *key},
            {"client_reference_id", tenant},
            {"metadata", {{"org_id", tenant}, {"plan", slug}, {"cycle", cycle}}}};
        const auto out = inst->CreateCheckout(request.dump());
        if (!out.ok()) ProviderFailed(out);
        const auto session = nlohmann::json::parse(out.output, nullptr, false);
        if (!session.is_object() || !session.value("url", nlohmann::json()).is_string()) {
          throw errors::Error(errors::Code::kProviderError,
                              "the payment provider returned no checkout url");
        }
        return http::Response::Json(
            201, {{"session_id", session.value("session_id", "")}, {"url", session["url"]}});
      });

  api.AddPooled(
      "POST", "/api/subscriptions/cancel", api::Access::kOwner, [&](api::PooledContext& ctx) {
        const auto sub = ctx.InTenant(
            [&](db::Transaction& tx) { return SubscriptionRepository().Find(tx, ctx.tenant()); });
        if (sub && sub->provider && sub->provider_subscription_id && !sub->cancel_at_period_end) {
          // The provider must stop renewing before we promise the owner it will end. Asking it
          // twice is harmless: the request carries an idempotency key.
          auto inst = PaymentInstance(payments);
          const nlohmann::json request = {
              {"subscription_id", *sub->provider_subscription_id},
              {"at_period_end", true},
              {"idempotency_key", "cancel-" + *sub->provider_subscription_id}};
          const auto out = inst->CancelSubscription(request.dump());
          if (!out.ok()) ProviderFailed(out);
        }
        return http::Response::Json(200, ctx.InTenant([&](db::Transaction& tx) {
          if (!lifecycle.CancelAtPeriodEnd(tx, ctx.tenant())) {
            throw errors::Error::Conflict(
                sub && sub->cancel_at_period_end
                    ? "the subscription is already set to end with its period"
                    : "there is no paid subscription to cancel");
          }
          return CurrentJson(tx, ctx.tenant());
        }));
      });

  // The provider's webhook: verified by the plugin over the raw body; every event applied
  // exactly once, each in its own transaction. Not under /api: no user, no rate limit.
  api.AddWebhook("POST", "/hooks/billing/{plugin}", [&](http::Request& req) {
    if (req.Param("plugin") != payments.provider())
      throw errors::Error(errors::Code::kNotFound, "no such payment provider", "plugin");
    auto inst = PaymentInstance(payments);
    plugins::PluginInstance::Webhook hook;
    hook.method = req.method;
    hook.body = req.body;
    for (const auto& [k, v] : req.headers) hook.headers.emplace_back(k, v);
    const auto out = inst->PaymentWebhook(hook);
    if (out.status == SLOTH_UNAUTHENTICATED || out.status == SLOTH_INVALID_ARGUMENT) {
      spdlog::warn("billing: webhook refused ({}): {}", req.request_id, out.error);
      if (out.status == SLOTH_UNAUTHENTICATED)
        throw errors::Error(errors::Code::kBadSignature, out.error, "signature");
      throw errors::Error(errors::Code::kInvalidArgument, out.error, "body",
                          {{"reason", "bad_event"}});
    }
    if (!out.ok()) ProviderFailed(out);  // 5xx: the provider redelivers
    const auto parsed = nlohmann::json::parse(out.output, nullptr, false);
    if (!parsed.is_object() || !parsed.value("events", nlohmann::json()).is_array())
      throw errors::Error(errors::Code::kProviderError, "the payment plugin returned no events");
    nlohmann::json outcomes = nlohmann::json::array();
    for (const auto& ev : parsed["events"]) {
      PaymentEvent e{payments.provider(), ev.value("id", ""), ev.value("type", ""),
                     ev.value("data", nlohmann::json::object())};
      if (e.id.empty() || e.type.empty()) continue;
      const std::string outcome = pool.InTransaction(
          [&](db::Transaction& tx) { return lifecycle.ApplyPaymentEvent(tx, e); });
      spdlog::info("billing: {} event {} {}: {}", e.provider, e.id, e.type, outcome);
      outcomes.push_back({{"id", e.id}, {"outcome", outcome}});
    }
    return http::Response::Json(200, {{"received", true}, {"events", outcomes}});
  });
}

}  // namespace

void AddRoutes(api::Api& api, db::Pool& pool, Payments& payments, Lifecycle& lifecycle) {
  AddPaymentRoutes(api, pool, payments, lifecycle);

  api.Add("GET", "/api/subscriptions/plans", api::Access::kPublic, [](api::Context& ctx) {
    nlohmann::json plans = nlohmann::json::array();
    for (const auto& p : ListPlans(ctx.tx, /*public_only=*/true)) plans.push_back(p.ToJson());
    return http::Response::Json(200, {{"plans", plans}});
  });

  api.Add("GET", "/api/subscriptions/current", api::Access::kTenant, [](api::Context& ctx) {
    return http::Response::Json(200, CurrentJson(ctx.tx, ctx.tenant()));
  });

  api.Add("POST", "/api/subscriptions/activate-code", api::Access::kOwner,
          [&lifecycle](api::Context& ctx) {
            const auto body = ctx.request.Json();
            api::OnlyFields(body, {"code"});
            const std::string code = api::RequiredString(body, "code", 32);
            if (!ActivationCodes().Redeem(ctx.tx, code, ctx.tenant(), lifecycle)) {
              throw errors::Error(errors::Code::kNotFound,
                                  "the code does not exist, was used or has expired", "code");
            }
            return http::Response::Json(200, CurrentJson(ctx.tx, ctx.tenant()));
          });

  api.Add("POST", "/api/admin/codes/generate", api::Access::kAdmin, [](api::Context& ctx) {
    const auto body = ctx.request.Json();
    api::OnlyFields(body, {"plan", "duration_days", "expires_at", "count"});
    const std::string plan = api::RequiredString(body, "plan", 32);
    if (!FindPlan(ctx.tx, plan))
      throw errors::Error(errors::Code::kInvalidArgument, "no such plan", "plan");
    const int days = body.value("duration_days", -1);
    if (days != 0 && days != 30 && days != 90 && days != 365) {
      throw errors::Error(errors::Code::kInvalidArgument, "duration_days must be 0, 30, 90 or 365",
                          "duration_days");
    }
    const int count = body.value("count", 1);
    if (count < 1 || count > 1000) {
      throw errors::Error(errors::Code::kInvalidArgument, "count must be between 1 and 1000",
                          "count");
    }
    const auto expires = api::OptionalString(body, "expires_at", 40);
    if (expires && !expires->empty() &&
        !std::regex_match(
            *expires,
            std::regex(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$)"))) {
      throw errors::Error(errors::Code::kInvalidArgument, "expires_at must be an RFC 3339 time",
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
