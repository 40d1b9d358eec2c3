#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sloth/plugin.hpp"

namespace stripe {

// The platform's Stripe account. Every POST carries an Idempotency-Key, so retries (409,
// 5xx, Stripe-Should-Retry: true; 0.5 s x 2^(n-1) capped at 5 s, with jitter) can never
// create a second checkout or cancel twice.
class StripePayment final : public sloth::Payment {
 public:
  explicit StripePayment(const sloth::InstanceArgs& args);

  std::string CreateCheckout(std::string_view request_json) override;
  std::string Webhook(const sloth::WebhookRequest& request) override;
  std::string CancelSubscription(std::string_view request_json) override;
  std::string Health() override;

 private:
  nlohmann::json Post(const std::string& path, const std::string& form,
                      const std::string& idempotency_key);

  sloth::Host host_;
  std::string api_base_;
  std::string api_version_;
  nlohmann::json prices_;
  std::int64_t tolerance_s_ = 300;
  int max_retries_ = 3;
  std::string secret_key_;
  std::string webhook_secret_;
};

}  // namespace stripe
