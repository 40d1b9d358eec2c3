#pragma once

#include "api/api.hpp"
#include "knowledge/knowledge_service.hpp"

namespace sloth::knowledge {

// POST /api/documents/upload (multipart/form-data: file, title?), GET /api/documents,
// GET /api/documents/{id}/status, DELETE /api/documents/{id}, POST /api/knowledge/search.
void AddRoutes(api::Api& api, KnowledgeService& service);

}  // namespace sloth::knowledge
