// A Stripe webhook: the Stripe-Signature header (first line) against the body, then the
// event's normalisation.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "events.hpp"
#include "signature.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto nl = input.find('\n');
  const std::string header = nl == std::string::npos ? "" : input.substr(0, nl);
  const std::string body = nl == std::string::npos ? input : input.substr(nl + 1);
  (void)stripe::Describe(stripe::VerifySignature(header, body, "whsec_fuzz", 1700000000, 300));
  const auto event = nlohmann::json::parse(body, nullptr, false);
  if (event.is_discarded()) return 0;
  const nlohmann::json prices = {{"starter", {{"monthly", "price_m"}, {"yearly", "price_y"}}}};
  (void)stripe::NormalizeEvent(event, prices).dump();
  return 0;
}
