#pragma once

// The `billing` section of host.yaml: the payment plugin and the subscription rules.

#include <string>

#include <yaml-cpp/yaml.h>

#include "schema/schema.hpp"

namespace sloth::billing {

struct BillingConfig {
  std::string payment_plugin;  // e.g. "stripe"; empty: checkout is unavailable
  std::string success_url;     // where the provider sends the browser after checkout
  std::string cancel_url;
  int past_due_grace_days = 7;  // past_due this long -> unpaid -> fallback plan
  std::string fallback_plan = "free";

  static config::Field Schema();
  static BillingConfig Read(const YAML::Node& section, const std::string& file);
};

}  // namespace sloth::billing
