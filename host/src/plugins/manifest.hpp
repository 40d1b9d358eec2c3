#pragma once

// plugin.json, written beside each plugin library by sloth_add_plugin(). The host reads it
// to list and refuse plugins without loading them.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sloth::plugins {

class ManifestError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Manifest {
  std::string id;
  std::string version;
  std::string description;
  std::vector<std::string> kinds;
  std::uint32_t kind_bits = 0;
  std::string feature;  // plan feature that gates the plugin; empty = ungated
  std::uint32_t abi_major = 0;
  std::uint32_t min_host_minor = 0;
  std::string library;  // absolute path of the shared library
  nlohmann::json config_schema = nlohmann::json::object();
  std::string path;  // of plugin.json
};

// Parses and checks a manifest file; throws ManifestError naming the file and the problem.
Manifest ReadManifest(const std::string& path);
Manifest ParseManifest(const std::string& text, const std::string& path);

// "channel" -> SLOTH_KIND_CHANNEL, ...; 0 for an unknown name.
std::uint32_t KindBit(const std::string& name);
std::vector<std::string> KindNames(std::uint32_t bits);

}  // namespace sloth::plugins
