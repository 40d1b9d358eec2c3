#pragma once

#include <string>

#include "api/api.hpp"
#include "integrations/integration_runtime.hpp"

namespace sloth::integrations {

// GET /api/integrations, POST /api/integrations/{plugin}/connect, DELETE
// /api/integrations/{id}. `public_url` is where providers reach /hooks (empty: channels
// that can poll will poll).
void AddRoutes(api::Api& api, IntegrationRuntime& runtime, std::string public_url);

}  // namespace sloth::integrations
