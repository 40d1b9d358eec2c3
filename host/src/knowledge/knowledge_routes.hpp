#pragma once

#include "api/api.hpp"
#include "knowledge/knowledge.hpp"
#include "plugins/tenant_calls.hpp"

namespace sloth::knowledge {

// /api/documents and /api/photos (upload as multipart/form-data: file, title?; list;
// status or analysis; delete), /api/knowledge/settings, /api/knowledge/rebuild,
// /api/knowledge/search.
// `calls` caps the searches (embedder calls) one organisation runs at once.
void AddRoutes(api::Api& api, Knowledge& knowledge, plugins::TenantCalls& calls);

}  // namespace sloth::knowledge
