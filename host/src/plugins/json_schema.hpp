#pragma once

// Validation of plugin config objects against the JSON Schema a plugin declares in its
// manifest, with valijson (Debian's libvalijson-dev: JSON Schema draft 7). Two things
// valijson leaves to us: filling in declared "default"s, and the "uri" and "email"
// formats. "secret": true is our annotation for credentials (encrypted at rest, never
// returned); validators ignore it.

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sloth::plugins {

struct SchemaViolation {
  std::string path;  // JSON pointer of the offending value ("/token", "" for the root)
  std::string message;
};

// Parses `schema` as a JSON Schema; returns the problem, or nullopt when it is usable.
std::optional<std::string> CheckSchema(const nlohmann::json& schema);

// Fills in declared defaults for absent object members, then validates. Returns the most
// specific violation, or nullopt when valid.
std::optional<SchemaViolation> Validate(const nlohmann::json& schema, nlohmann::json& value);

// JSON pointers of every member marked "secret": true.
std::vector<std::string> SecretPaths(const nlohmann::json& schema);

}  // namespace sloth::plugins
