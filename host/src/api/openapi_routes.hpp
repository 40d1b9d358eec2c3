#pragma once

// The API contract served to its readers: GET /api/openapi.json (the OpenAPI 3.1 document
// host/api/openapi.yaml, built into the binary) and GET /api/docs (a page rendering it, with
// nothing loaded from elsewhere).

#include <string>

#include <nlohmann/json.hpp>

#include "http/router.hpp"

namespace sloth::api {

// The document as JSON; `public_url`, when set, becomes its server.
nlohmann::json OpenApiDocument(const std::string& public_url);

void AddDocsRoutes(http::Router& router, const std::string& public_url);

}  // namespace sloth::api
