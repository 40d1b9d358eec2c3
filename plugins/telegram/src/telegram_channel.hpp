#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "sloth/plugin.hpp"

namespace telegram {

// One bot. Webhook mode: setWebhook with a random secret_token (kept in the instance's
// key-value store) checked in constant time on every delivery. Polling mode: getUpdates,
// the offset confirmed only after the host stored the events.
// Reentrant: a send runs while a long poll waits (Telegram allows both at once), so a reply
// never queues behind getUpdates; the state calls share is under mu_.
class TelegramChannel final : public sloth::Channel {
 public:
  static constexpr bool kReentrant = true;

  explicit TelegramChannel(const sloth::InstanceArgs& args);

  std::string Webhook(const sloth::WebhookRequest& request) override;
  std::string Send(std::string_view message_json) override;
  std::string Poll(uint32_t timeout_ms) override;
  std::string Connect(std::string_view request_json) override;
  void Disconnect() override;

 private:
  // Calls a Bot API method with a JSON body; returns `result`, or throws sloth::Error with
  // the status the envelope's error_code maps to (429 carries retry_after).
  nlohmann::json Call(const std::string& method, const nlohmann::json& params,
                      uint32_t timeout_ms = 0);
  void Pace(const std::string& chat);
  // Adds the photo's bytes (base64) to the event: the host stores them in the tenant's
  // storage. A failed download leaves the event without them (and says why).
  void AttachPhoto(nlohmann::json& event, const std::string& file_id);
  std::string WebhookSecret();

  sloth::Host host_;
  std::string token_;
  std::string mode_;
  std::string api_base_;
  std::chrono::milliseconds chat_interval_{1000};
  std::mutex mu_;  // guards the three below
  std::optional<std::string> secret_;
  // Per chat, the earliest time the next message may go (chat_interval_ after the last).
  std::map<std::string, std::chrono::steady_clock::time_point> next_send_;
  std::set<std::string> unknown_logged_;
};

}  // namespace telegram
