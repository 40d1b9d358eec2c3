// A WhatsApp notification: its X-Hub-Signature-256 over the raw bytes (the first line of
// the input is the header), then the body's parse.
#include <cstdint>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "notifications.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto nl = input.find('\n');
  const std::string header = nl == std::string::npos ? "" : input.substr(0, nl);
  const std::string body = nl == std::string::npos ? input : input.substr(nl + 1);
  (void)whatsapp::SignatureValid(header, body, "app-secret");
  if (whatsapp::SignatureValid(whatsapp::Signature(body, "app-secret"), body, "app-secret") != true)
    __builtin_trap();  // a body signed with the secret must verify
  const auto notification = nlohmann::json::parse(body, nullptr, false);
  if (notification.is_discarded()) return 0;
  try {
    (void)whatsapp::ParseNotification(notification).dump();
  } catch (const std::invalid_argument&) {
    // not a WhatsApp notification: the documented refusal
  }
  return 0;
}
