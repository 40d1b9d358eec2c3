#pragma once

#include <functional>
#include <string>

#include "api/api.hpp"
#include "integrations/connect.hpp"
#include "integrations/integration_runtime.hpp"

namespace sloth::integrations {

// GET /api/integrations, POST /api/integrations/{plugin}/connect, DELETE
// /api/integrations/{id}. `public_url` is where providers reach /hooks (empty: channels
// that can poll will poll).
// `on_change` runs after a connect or disconnect (the poller looks at once).
// An integration as the REST API shows it: its config without the fields the plugin's
// schema marks secret.
nlohmann::json IntegrationJson(const Connected& c);

void AddRoutes(api::Api& api, IntegrationRuntime& runtime, std::string public_url,
               std::function<void()> on_change = {});

}  // namespace sloth::integrations
