#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "sloth/plugin.hpp"

namespace whatsapp {

// One WhatsApp Business phone number. Webhooks are configured in the Meta app (URL and
// verify token); the GET handshake answers hub.challenge, every POST is checked against
// X-Hub-Signature-256. Free-form messages go out only inside the 24-hour customer window.
class WhatsAppChannel final : public sloth::Channel {
 public:
  explicit WhatsAppChannel(const sloth::InstanceArgs& args);

  std::string Webhook(const sloth::WebhookRequest& request) override;
  std::string Send(std::string_view message_json) override;
  std::string Connect(std::string_view request_json) override;
  void Disconnect() override {}

 private:
  nlohmann::json Graph(const std::string& method, const std::string& path,
                       const nlohmann::json& body);
  // Media URLs live five minutes and need the same Bearer token: fetched while handling
  // the notification, the bytes travel to the host in the event (base64).
  void AttachMedia(nlohmann::json& event);

  sloth::Host host_;
  std::string access_token_, app_secret_, verify_token_, phone_number_id_, base_;
};

}  // namespace whatsapp
