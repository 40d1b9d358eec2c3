// host.yaml as an admin might write it: any YAML, with ${VAR} references, through the
// schema, defaults and typed reading.
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include <yaml-cpp/yaml.h>

#include "config/host_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  try {
    (void)sloth::config::ParseHostConfig(yaml, "fuzz.yaml", [](const std::string& name) {
      return name == "DATABASE_URL" ? std::optional<std::string>("postgresql:///x") : std::nullopt;
    });
  } catch (const sloth::config::ConfigError&) {
    // refused, naming the file and key
  }
  return 0;
}
