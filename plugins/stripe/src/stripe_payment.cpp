#include "stripe_payment.hpp"

#include <chrono>
#include <random>
#include <thread>

#include "events.hpp"
#include "form.hpp"
#include "signature.hpp"
#include "text.hpp"

namespace stripe {

using json = nlohmann::json;

namespace {

sloth::Status StatusOf(int http) {
  if (http == 401 || http == 403) return sloth::Status::kUnauthenticated;
  if (http == 429) return sloth::Status::kRateLimited;
  if (http >= 500 || http == 409) return sloth::Status::kUnavailable;
  return sloth::Status::kInvalidArgument;
}

// "stripe: 400 invalid_request_error/resource_missing: No such price (param line_items)".
std::string Describe(int http, const std::string& body) {
  std::string out = "stripe: HTTP " + std::to_string(http);
  const auto j = json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error") && j["error"].is_object()) {
    const auto& e = j["error"];
    out += " " + e.value("type", std::string("error"));
    if (e.contains("code") && e["code"].is_string()) out += "/" + e["code"].get<std::string>();
    out += ": " + e.value("message", std::string());
    if (e.contains("param") && e["param"].is_string())
      out += " (param " + e["param"].get<std::string>() + ")";
  }
  return out;
}

std::chrono::milliseconds Backoff(int attempt) {
  static thread_local std::mt19937 rng{std::random_device{}()};
  const double base = std::min(5000.0, 500.0 * (1 << std::min(attempt - 1, 10)));
  // Full delay halved at most: spreads retries of many clients without going below half.
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  return std::chrono::milliseconds(static_cast<long>(base * jitter(rng)));
}

}  // namespace

StripePayment::StripePayment(const sloth::InstanceArgs& args) : host_(args.host) {
  const auto config = json::parse(args.config_json);  // validated by the host
  api_base_ = sloth_plugins::BaseUrl(config.value("api_base", "https://api.stripe.com"));
  api_version_ = config.value("api_version", "2024-06-20");
  prices_ = config.value("prices", json::object());
  tolerance_s_ = config.value("tolerance_s", 300);
  max_retries_ = config.value("max_retries", 3);
  secret_key_ = host_.Secret("secret_key").value_or("");
  webhook_secret_ = host_.Secret("webhook_secret").value_or("");
  if (secret_key_.empty() || webhook_secret_.empty()) {
    throw sloth::Error(sloth::Status::kInvalidArgument,
                       "set SLOTH_PLUGIN_STRIPE_SECRET_KEY and SLOTH_PLUGIN_STRIPE_WEBHOOK_SECRET");
  }
}

json StripePayment::Post(const std::string& path, const std::string& form,
                         const std::string& idempotency_key) {
  sloth::HttpRequest req;
  req.method = "POST";
  req.url = api_base_ + path;
  req.headers = {{"Authorization", "Bearer " + secret_key_},
                 {"Content-Type", "application/x-www-form-urlencoded"},
                 {"Idempotency-Key", idempotency_key},
                 {"Stripe-Version", api_version_}};
  req.body = form;
  for (int attempt = 0;; ++attempt) {
    std::optional<sloth::HttpResponse> resp;
    std::string failure;
    try {
      resp = host_.Http(req);
    } catch (const sloth::Error& e) {
      failure = e.what();  // no response: the key makes a retry safe
    }
    bool retry = !resp.has_value();
    if (resp) {
      if (resp->status >= 200 && resp->status < 300) {
        auto body = json::parse(resp->body, nullptr, false);
        if (body.is_discarded() || !body.is_object())
          throw sloth::Error(sloth::Status::kUnavailable, "stripe: response is not a JSON object");
        return body;
      }
      failure = Describe(resp->status, resp->body);
      const auto should = resp->Header("Stripe-Should-Retry");
      if (should) {
        retry = *should == "true";
      } else {
        retry = resp->status == 409 || resp->status >= 500;
      }
    }
    if (!retry || attempt >= max_retries_ || sloth::CallCancelled()) {
      if (host_.LogEnabled(SLOTH_LOG_WARN)) host_.Warn(path + ": " + failure);
      throw sloth::Error(resp ? StatusOf(resp->status) : sloth::Status::kUnavailable, failure);
    }
    std::this_thread::sleep_for(Backoff(attempt + 1));
  }
}

std::string StripePayment::CreateCheckout(std::string_view request_json) {
  const auto r = json::parse(request_json, nullptr, false);
  if (!r.is_object()) throw sloth::Error(sloth::Status::kInvalidArgument, "request is not JSON");
  const std::string plan = r.value("plan", "");
  const std::string cycle = r.value("cycle", "monthly");
  const json ids = prices_.value(plan, json::object());
  const std::string price = ids.is_object() ? ids.value(cycle, "") : "";
  if (price.empty()) {
    throw sloth::Error(sloth::Status::kInvalidArgument,
                       "no Stripe price configured for plan " + plan + " (" + cycle + ")");
  }
  json params = {{"mode", "subscription"},
                 {"line_items", json::array({{{"price", price}, {"quantity", 1}}})},
                 {"success_url", r.value("success_url", "")},
                 {"cancel_url", r.value("cancel_url", "")},
                 {"client_reference_id", r.value("client_reference_id", "")}};
  if (!r.value("customer_email", "").empty()) params["customer_email"] = r["customer_email"];
  const json metadata = r.value("metadata", json::object());
  params["metadata"] = metadata;
  params["subscription_data"] = {{"metadata", metadata}};
  const std::string key = r.value("idempotency_key", "");
  if (key.empty())
    throw sloth::Error(sloth::Status::kInvalidArgument, "idempotency_key is required");
  const json session = Post("/v1/checkout/sessions", FormEncode(params), key);
  if (!session.value("url", json()).is_string())
    throw sloth::Error(sloth::Status::kUnavailable, "stripe: checkout session without url");
  host_.CounterAdd("checkouts_created");
  return json{{"session_id", session.value("id", "")}, {"url", session["url"]}}.dump();
}

std::string StripePayment::CancelSubscription(std::string_view request_json) {
  const auto r = json::parse(request_json, nullptr, false);
  const std::string id = r.is_object() ? r.value("subscription_id", "") : "";
  if (id.empty() || id.find_first_of("/?#%") != std::string::npos)
    throw sloth::Error(sloth::Status::kInvalidArgument, "subscription_id is required");
  const bool at_end = r.value("at_period_end", true);
  const std::string key = r.value("idempotency_key", "cancel-" + id);
  json sub;
  if (at_end) {
    sub = Post("/v1/subscriptions/" + UrlEncode(id), FormEncode({{"cancel_at_period_end", true}}),
               key);
  } else {
    sloth::HttpRequest req;  // DELETE cancels now; safe to repeat
    req.method = "DELETE";
    req.url = api_base_ + "/v1/subscriptions/" + UrlEncode(id);
    req.headers = {{"Authorization", "Bearer " + secret_key_}, {"Stripe-Version", api_version_}};
    req.max_retries = static_cast<uint32_t>(max_retries_);
    const auto resp = host_.Http(req);
    if (resp.status < 200 || resp.status >= 300)
      throw sloth::Error(StatusOf(resp.status), Describe(resp.status, resp.body));
    sub = json::parse(resp.body, nullptr, false);
  }
  json out = {{"status", sub.value("status", "")},
              {"cancel_at_period_end", sub.value("cancel_at_period_end", at_end)}};
  if (sub.contains("current_period_end")) out["current_period_end"] = sub["current_period_end"];
  return out.dump();
}

std::string StripePayment::Webhook(const sloth::WebhookRequest& request) {
  const auto header = request.Header("Stripe-Signature");
  if (!header) throw sloth::Error(sloth::Status::kUnauthenticated, "Stripe-Signature is missing");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const auto check = VerifySignature(*header, request.body, webhook_secret_, now, tolerance_s_);
  if (check != SignatureCheck::kOk)
    throw sloth::Error(sloth::Status::kUnauthenticated, stripe::Describe(check));
  const auto event = json::parse(request.body, nullptr, false);
  if (!event.is_object() || !event.value("id", json()).is_string() ||
      !event.value("type", json()).is_string()) {
    throw sloth::Error(sloth::Status::kInvalidArgument, "the event is not a Stripe event object");
  }
  host_.CounterAdd("webhook_events");
  return json{{"events", json::array({NormalizeEvent(event, prices_)})}}.dump();
}

std::string StripePayment::Health() {
  return json{{"status", "ok"}, {"api_base", api_base_}}.dump();
}

}  // namespace stripe
