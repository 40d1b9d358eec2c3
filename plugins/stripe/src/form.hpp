#pragma once

// application/x-www-form-urlencoded the way Stripe reads it: nested objects and arrays as
// brackets (metadata[org_id]=42, line_items[0][price]=price_1), booleans as true|false.

#include <string>

#include <nlohmann/json.hpp>

namespace stripe {

std::string FormEncode(const nlohmann::json& params);
std::string UrlEncode(std::string_view s);

}  // namespace stripe
