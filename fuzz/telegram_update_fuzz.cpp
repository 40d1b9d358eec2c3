// A Telegram Update from a webhook body or getUpdates: JSON of any shape, then the parse.
#include <cstdint>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "updates.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto update = nlohmann::json::parse(data, data + size, nullptr, false);
  if (update.is_discarded()) return 0;
  try {
    const auto parsed = telegram::ParseUpdate(update);
    if (parsed.event) (void)parsed.event->dump();
  } catch (const std::invalid_argument&) {
    // not an Update: the documented refusal
  }
  return 0;
}
