#include "billing/billing_config.hpp"

namespace sloth::billing {

config::Field BillingConfig::Schema() {
  using namespace config;
  return Section(
      "billing",
      {Str("payment_plugin", "", "payment plugin id (e.g. stripe); empty: no checkout"),
       Str("success_url", "", "browser target after a paid checkout"),
       Str("cancel_url", "", "browser target after an abandoned checkout"),
       Int("past_due_grace_days", 7, 0, 90, "days past_due before a subscription is unpaid"),
       Str("fallback_plan", "free", "plan an organisation falls back to when a paid one ends")},
      "subscriptions and payments");
}

BillingConfig BillingConfig::Read(const YAML::Node& s, const std::string&) {
  BillingConfig c;
  c.payment_plugin = s["payment_plugin"].as<std::string>();
  c.success_url = s["success_url"].as<std::string>();
  c.cancel_url = s["cancel_url"].as<std::string>();
  c.past_due_grace_days = s["past_due_grace_days"].as<int>();
  c.fallback_plan = s["fallback_plan"].as<std::string>();
  return c;
}

}  // namespace sloth::billing
