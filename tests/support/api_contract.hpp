#pragma once

// Checks the host's answers against its OpenAPI document (host/api/openapi.yaml, the one
// built into the binary): every HttpCall in the tests goes through CheckAnswer, so every
// JSON answer any integration test receives is validated against the contract.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace sloth::testing {

const nlohmann::json& ApiDocument();

// The document's path template for `path` (query ignored), preferring literal segments;
// nullopt when no path of the document matches.
std::optional<std::string> DocumentedPath(const std::string& path);

// Why the answer breaks the contract, or nullopt. Paths outside /api/ and the document
// (a test's deliberate /nope) are not checked; under /api/ an undocumented path must answer
// the error envelope.
std::optional<std::string> CheckAnswer(const std::string& method, const std::string& path,
                                       int status, const std::string& content_type,
                                       const std::string& body);

}  // namespace sloth::testing
