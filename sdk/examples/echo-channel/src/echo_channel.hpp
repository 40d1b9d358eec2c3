#pragma once

#include <atomic>
#include <string>

#include "sloth/plugin.hpp"

namespace echo {

// A channel whose "provider" is any client that POSTs {"chat_id", "message_id", "text"}
// with the shared secret in X-Echo-Secret; replies are recorded in the instance's key-value
// store (key "last:<chat_id>") where a client can read them back.
class EchoChannel final : public sloth::Channel {
 public:
  explicit EchoChannel(const sloth::InstanceArgs& args);

  std::string Webhook(const sloth::WebhookRequest& request) override;
  std::string Send(std::string_view message_json) override;
  std::string Connect(std::string_view request_json) override;
  void Disconnect() override {}
  std::string Health() override;

 private:
  std::string secret_;
  std::string prefix_;
  std::atomic<long> sent_{0};
};

// Constant-time comparison, so the secret cannot be guessed byte by byte from timings.
bool SecretEquals(std::string_view a, std::string_view b);

}  // namespace echo
