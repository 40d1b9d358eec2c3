#pragma once

// WhatsApp Cloud API webhooks: the X-Hub-Signature-256 check over the raw body, and a
// notification -> the host's channel events (messages and statuses).

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace whatsapp {

// "sha256=<lowercase hex HMAC-SHA256(app_secret, body)>", compared in constant time.
bool SignatureValid(std::string_view header, std::string_view body, std::string_view app_secret);
std::string Signature(std::string_view body, std::string_view app_secret);

// Throws std::invalid_argument when `notification` is not a whatsapp_business_account one.
nlohmann::json ParseNotification(const nlohmann::json& notification);

}  // namespace whatsapp
