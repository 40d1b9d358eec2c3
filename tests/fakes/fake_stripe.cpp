#include "fakes/fake_stripe.hpp"

#include <nlohmann/json.hpp>

namespace sloth::fakes {
namespace {

using json = nlohmann::json;

FakeResponse Error(int status, const std::string& type, const std::string& code,
                   const std::string& message, const std::string& param = "") {
  json e = {{"type", type}, {"message", message}};
  if (!code.empty()) e["code"] = code;
  if (!param.empty()) e["param"] = param;
  return FakeResponse::Json(status, json{{"error", e}}.dump());
}

}  // namespace

FakeStripe::FakeStripe(std::string secret_key)
    : secret_key_(std::move(secret_key)),
      server_([this](const FakeRequest& r) { return Handle(r); }) {}

void FakeStripe::FailNext(int count, int status, std::optional<bool> should_retry) {
  std::lock_guard lock(mu_);
  fail_count_ = count;
  fail_status_ = status;
  fail_should_retry_ = should_retry;
}

int FakeStripe::sessions_created() const {
  std::lock_guard lock(mu_);
  return sessions_created_;
}

FakeResponse FakeStripe::Handle(const FakeRequest& r) {
  std::lock_guard lock(mu_);
  FakeResponse out = [&]() -> FakeResponse {
    if (r.Header("authorization") != "Bearer " + secret_key_) {
      return Error(401, "invalid_request_error", "", "Invalid API Key provided");
    }
    if (fail_count_ > 0) {
      --fail_count_;
      auto e = Error(fail_status_, fail_status_ >= 500 ? "api_error" : "invalid_request_error",
                     fail_status_ == 409 ? "lock_timeout" : "", "injected failure");
      if (fail_should_retry_)
        e.headers.emplace_back("Stripe-Should-Retry", *fail_should_retry_ ? "true" : "false");
      return e;
    }
    if (r.method == "POST") {
      if (r.Header("content-type").rfind("application/x-www-form-urlencoded", 0) != 0)
        return Error(400, "invalid_request_error", "", "POST bodies must be form-encoded");
      const std::string key = r.Header("idempotency-key");
      if (key.empty())
        return Error(400, "invalid_request_error", "", "Idempotency-Key expected by this fake");
      const std::string fingerprint = r.path + "\n" + r.body;
      if (auto it = idempotency_.find(key); it != idempotency_.end()) {
        if (it->second.body_fingerprint != fingerprint) {
          return Error(400, "idempotency_error", "",
                       "Keys for idempotent requests can only be used with the same parameters "
                       "they were first used with.");
        }
        FakeResponse replay = it->second.response;
        replay.headers.emplace_back("Idempotent-Replayed", "true");
        return replay;
      }
      const auto form = ParseForm(r.body);
      FakeResponse result;
      if (r.path == "/v1/checkout/sessions") {
        result = CreateSession(form);
      } else if (r.path.rfind("/v1/subscriptions/", 0) == 0) {
        result = UpdateSubscription(r.path.substr(18), form);
      } else {
        result =
            Error(404, "invalid_request_error", "resource_missing", "Unrecognized request URL");
      }
      if (result.status < 500) idempotency_[key] = {fingerprint, result};
      return result;
    }
    return Error(404, "invalid_request_error", "resource_missing", "Unrecognized request URL");
  }();
  out.headers.emplace_back("Request-Id", "req_fake" + std::to_string(next_id_++));
  return out;
}

FakeResponse FakeStripe::CreateSession(const std::map<std::string, std::string>& form) {
  for (const char* required : {"mode", "success_url", "cancel_url", "line_items[0][price]"}) {
    if (!form.count(required) || form.at(required).empty())
      return Error(400, "invalid_request_error", "parameter_missing",
                   std::string("Missing required param: ") + required + ".", required);
  }
  const std::string price = form.at("line_items[0][price]");
  if (price.rfind("price_", 0) != 0)
    return Error(400, "invalid_request_error", "resource_missing", "No such price: '" + price + "'",
                 "line_items[0][price]");
  const std::string id = "cs_test_" + std::to_string(next_id_++);
  json metadata = json::object();
  for (const auto& [k, v] : form) {
    if (k.rfind("metadata[", 0) == 0 && k.back() == ']') metadata[k.substr(9, k.size() - 10)] = v;
  }
  ++sessions_created_;
  const json session = {
      {"id", id},
      {"object", "checkout.session"},
      {"mode", form.at("mode")},
      {"status", "open"},
      {"payment_status", "unpaid"},
      {"url", "https://checkout.stripe.com/c/pay/" + id},
      {"customer", nullptr},
      {"customer_email",
       form.count("customer_email") ? json(form.at("customer_email")) : json(nullptr)},
      {"subscription", nullptr},
      {"client_reference_id",
       form.count("client_reference_id") ? json(form.at("client_reference_id")) : json(nullptr)},
      {"success_url", form.at("success_url")},
      {"cancel_url", form.at("cancel_url")},
      {"metadata", metadata},
      {"livemode", false}};
  return FakeResponse::Json(200, session.dump());
}

FakeResponse FakeStripe::UpdateSubscription(const std::string& id,
                                            const std::map<std::string, std::string>& form) {
  if (id.rfind("sub_", 0) != 0)
    return Error(404, "invalid_request_error", "resource_missing",
                 "No such subscription: '" + id + "'", "id");
  const json sub = {{"id", id},
                    {"object", "subscription"},
                    {"status", "active"},
                    {"cancel_at_period_end", form.count("cancel_at_period_end") &&
                                                 form.at("cancel_at_period_end") == "true"},
                    {"current_period_end", 1924992000}};
  return FakeResponse::Json(200, sub.dump());
}

}  // namespace sloth::fakes
