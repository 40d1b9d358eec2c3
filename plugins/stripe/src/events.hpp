#pragma once

// Stripe events -> the host's normalised payment events:
//   {"id", "type", "data": {tenant_id?, customer?, subscription?, status?, plan?, cycle?,
//                            current_period_start?, current_period_end?, cancel_at_period_end?}}
// The host applies them; the plugin only reads Stripe's shapes (including the 2025 move of
// the period fields onto subscription items and of invoice.subscription under parent).

#include <nlohmann/json.hpp>

namespace stripe {

// `prices`: plan -> {monthly, yearly} price ids (from the plugin config).
nlohmann::json NormalizeEvent(const nlohmann::json& event, const nlohmann::json& prices);

}  // namespace stripe
