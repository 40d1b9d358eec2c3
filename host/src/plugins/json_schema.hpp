#pragma once

// Validation of plugin config objects against the JSON Schema a plugin declares in its
// manifest. No JSON Schema library is packaged for C++ in Debian, so this implements the
// subset documented in sdk/README.md ("Config schema"): type, properties, required,
// additionalProperties (boolean), enum, const, minLength, maxLength, pattern, format (uri,
// email), minimum, maximum, items, minItems, maxItems, default, and "secret": true.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sloth::plugins {

struct SchemaViolation {
  std::string path;  // JSON pointer of the offending value ("/token", "" for the root)
  std::string message;
};

// Checks that `schema` only uses the supported keywords with the right shapes; returns a
// description of the first problem, or nullopt.
std::optional<std::string> CheckSchema(const nlohmann::json& schema);

// Validates `value` (and fills in declared defaults for absent object members). Returns the
// first violation, or nullopt when valid.
std::optional<SchemaViolation> Validate(const nlohmann::json& schema, nlohmann::json& value);

// JSON pointers of every member marked "secret": true (encrypted at rest, never returned).
std::vector<std::string> SecretPaths(const nlohmann::json& schema);

}  // namespace sloth::plugins
