#pragma once

#include "api/api.hpp"
#include "knowledge/knowledge.hpp"

namespace sloth::knowledge {

// /api/documents and /api/photos (upload as multipart/form-data: file, title?; list;
// status or analysis; delete), /api/knowledge/settings, /api/knowledge/rebuild,
// /api/knowledge/search.
void AddRoutes(api::Api& api, Knowledge& knowledge);

}  // namespace sloth::knowledge
