#include "plugins/manifest.hpp"

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "plugins/json_schema.hpp"
#include "sloth/plugin.h"

namespace sloth::plugins {
namespace {

const std::pair<const char*, std::uint32_t> kKinds[] = {
    {"channel", SLOTH_KIND_CHANNEL},   {"llm", SLOTH_KIND_LLM},
    {"embedder", SLOTH_KIND_EMBEDDER}, {"vision", SLOTH_KIND_VISION},
    {"calendar", SLOTH_KIND_CALENDAR}, {"storage", SLOTH_KIND_STORAGE},
    {"payment", SLOTH_KIND_PAYMENT}};

}  // namespace

std::uint32_t KindBit(const std::string& name) {
  for (const auto& [n, bit] : kKinds) {
    if (name == n) return bit;
  }
  return 0;
}

std::vector<std::string> KindNames(std::uint32_t bits) {
  std::vector<std::string> out;
  for (const auto& [n, bit] : kKinds) {
    if (bits & bit) out.emplace_back(n);
  }
  return out;
}

Manifest ParseManifest(const std::string& text, const std::string& path) {
  auto fail = [&](const std::string& m) -> ManifestError { return ManifestError(path + ": " + m); };
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw fail("not a JSON object");
  auto str = [&](const char* key, bool required) -> std::string {
    if (!j.contains(key) || j[key].is_null()) {
      if (required) throw fail(std::string("missing \"") + key + "\"");
      return "";
    }
    if (!j[key].is_string()) throw fail(std::string("\"") + key + "\" must be a string");
    return j[key].get<std::string>();
  };
  Manifest m;
  m.path = path;
  m.id = str("id", true);
  static const std::regex id_re("^[a-z0-9_-]{1,64}$");
  if (!std::regex_match(m.id, id_re)) throw fail("\"id\" must match [a-z0-9_-]{1,64}");
  m.version = str("version", true);
  static const std::regex ver_re(R"(^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$)");
  if (!std::regex_match(m.version, ver_re)) throw fail("\"version\" must be a semantic version");
  m.description = str("description", false);
  m.feature = str("feature", false);
  const std::string library = str("library", true);
  if (library.find('/') != std::string::npos) throw fail("\"library\" must be a file name");
  m.library = (std::filesystem::path(path).parent_path() / library).string();

  if (!j.contains("abi") || !j["abi"].is_object()) throw fail("missing \"abi\" object");
  const auto& abi = j["abi"];
  if (!abi.contains("major") || !abi["major"].is_number_unsigned()) {
    throw fail("\"abi.major\" must be a non-negative integer");
  }
  m.abi_major = abi["major"].get<std::uint32_t>();
  if (abi.contains("min_host_minor")) {
    if (!abi["min_host_minor"].is_number_unsigned()) {
      throw fail("\"abi.min_host_minor\" must be a non-negative integer");
    }
    m.min_host_minor = abi["min_host_minor"].get<std::uint32_t>();
  }
  if (!j.contains("kinds") || !j["kinds"].is_array() || j["kinds"].empty()) {
    throw fail("\"kinds\" must be a non-empty array");
  }
  for (const auto& k : j["kinds"]) {
    if (!k.is_string() || !KindBit(k.get<std::string>())) {
      throw fail("unknown kind " + k.dump() +
                 " (channel, llm, embedder, vision, calendar, storage, payment)");
    }
    m.kinds.push_back(k.get<std::string>());
    m.kind_bits |= KindBit(k.get<std::string>());
  }
  if (j.contains("config_schema")) {
    m.config_schema = j["config_schema"];
    if (auto e = CheckSchema(m.config_schema)) throw fail("config_schema " + *e);
    if (m.config_schema.value("type", "object") != "object") {
      throw fail("config_schema must describe an object");
    }
  }
  return m;
}

Manifest ReadManifest(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ManifestError(path + ": cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseManifest(ss.str(), path);
}

}  // namespace sloth::plugins
