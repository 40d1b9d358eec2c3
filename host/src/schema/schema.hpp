#pragma once

// A declared schema for a YAML configuration tree. Every component states the keys it
// reads, their types and defaults; the loader validates the whole file against the union
// before anything starts, so a bad file is refused with the key and line at fault.
// A library below every concern (they declare their sections with it, config/ assembles
// host.yaml from them, billing reads plans.yaml with it); its names stay in namespace
// `config` for the code that reads them.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace sloth::config {

enum class Type { kString, kInteger, kBoolean, kNumber, kStringList, kMap };

struct Field {
  std::string name;
  Type type = Type::kString;
  bool required = false;
  // Default as YAML text ("8080", "info", "[]"); empty optional means no default.
  std::optional<std::string> default_value;
  std::string description;
  std::vector<std::string> allowed;  // enum values for kString
  std::optional<std::int64_t> min;   // for kInteger
  std::optional<std::int64_t> max;
  bool secret = false;          // never echoed in error messages or logs
  std::vector<Field> children;  // for kMap
  // For kMap whose keys are free-form (e.g. per-plugin sections): every value is a map
  // validated against `children`, or anything when `children` is empty.
  bool open = false;
};

// Thrown for any configuration error; what() names the file, line and key.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Expands ${NAME} and ${NAME:-default} references; "$${" yields a literal "${".
// `lookup` returns the variable's value or nullopt when unset.
std::string Interpolate(const std::string& text,
                        const std::function<std::optional<std::string>(const std::string&)>& lookup,
                        const std::string& where);

// Validates `root` against `schema` (the fields of the top-level map), applies defaults,
// interpolates environment references in scalars and returns the resolved tree.
// `env_prefix` (e.g. "SLOTH_") lets an environment variable override any leaf:
// http.port -> SLOTH_HTTP_PORT.
YAML::Node Resolve(const YAML::Node& root, const std::vector<Field>& schema,
                   const std::string& file,
                   const std::function<std::optional<std::string>(const std::string&)>& lookup,
                   const std::string& env_prefix);

// The environment variable name that overrides a dotted key.
std::string EnvNameFor(const std::string& env_prefix, const std::string& dotted_key);

// Builders for schemas, so a component declares its section in a few readable lines.
Field Str(std::string name, std::optional<std::string> def, std::string doc,
          std::vector<std::string> allowed = {});
Field Int(std::string name, std::int64_t def, std::int64_t min, std::int64_t max, std::string doc);
Field Bool(std::string name, bool def, std::string doc);
Field Section(std::string name, std::vector<Field> children, std::string doc);
Field List(std::string name, std::string def, std::string doc);
// A map whose keys are free-form (per-plugin sections, queue names).
Field Open(std::string name, std::string doc);

}  // namespace sloth::config
