#include "echo_channel.hpp"

#include <nlohmann/json.hpp>

namespace echo {

using json = nlohmann::json;

bool SecretEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

EchoChannel::EchoChannel(const sloth::InstanceArgs& args) {
  const auto config = json::parse(args.config_json);  // validated by the host against the schema
  secret_ = config.at("secret").get<std::string>();
  prefix_ = config.value("prefix", "echo: ");
}

std::string EchoChannel::Webhook(const sloth::WebhookRequest& request) {
  const auto given = request.Header("X-Echo-Secret");
  if (!given || !SecretEquals(*given, secret_)) {
    throw sloth::Error(sloth::Status::kUnauthenticated, "missing or wrong X-Echo-Secret");
  }
  const auto body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("chat_id") ||
      !body.contains("message_id") || !body.value("text", json()).is_string()) {
    throw sloth::Error(sloth::Status::kInvalidArgument,
                       "expected {\"chat_id\", \"message_id\", \"text\"}");
  }
  json event = {{"type", "message"},
                {"chat_id", body["chat_id"].dump()},
                {"message_id", body["message_id"].dump()},
                {"text", body["text"]}};
  host().CounterAdd("webhooks_received");
  return json{{"response", {{"status", 200}}}, {"events", json::array({event})}}.dump();
}

std::string EchoChannel::Send(std::string_view message_json) {
  const auto m = json::parse(message_json, nullptr, false);
  if (m.is_discarded() || !m.contains("chat_id") || !m.value("text", json()).is_string()) {
    throw sloth::Error(sloth::Status::kInvalidArgument, "expected {\"chat_id\", \"text\"}");
  }
  const std::string chat =
      m["chat_id"].is_string() ? m["chat_id"].get<std::string>() : m["chat_id"].dump();
  host().KvPut("last:" + chat, prefix_ + m["text"].get<std::string>());
  const long n = ++sent_;
  if (host().LogEnabled(SLOTH_LOG_DEBUG)) host().Debug("echoed message " + std::to_string(n));
  return json{{"message_id", "echo-" + std::to_string(n)}}.dump();
}

std::string EchoChannel::Connect(std::string_view request_json) {
  const auto r = json::parse(request_json, nullptr, false);
  const std::string url = r.is_object() ? r.value("webhook_url", "") : "";
  return json{{"mode", url.empty() ? "none" : "webhook"}, {"webhook_url", url}}.dump();
}

std::string EchoChannel::Health() {
  return json{{"status", "ok"}, {"sent", sent_.load()}}.dump();
}

}  // namespace echo
