// A cron entry from host.yaml: parsed, then its latest slot within a day.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "jobs/cron.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    const auto cron = sloth::jobs::CronExpr::Parse(text);
    (void)cron.Latest(1764000000, std::chrono::hours(24));
  } catch (const std::invalid_argument&) {
    // the documented refusal
  }
  return 0;
}
