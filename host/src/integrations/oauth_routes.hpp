#pragma once

// Integrations whose credentials come from the provider's consent screen (OAuth 2 with
// PKCE), today Google Calendar:
//   POST /api/integrations/{plugin}/authorize (owner) → {"url", "expires_in"}: the
//     provider's consent URL with a signed, expiring state bound to the organisation;
//   GET /oauth/google/callback?code=&state= (the salon's browser, sent back by Google):
//     the state checked and taken (good once), the code exchanged with the PKCE verifier,
//     and the integration connected with the credentials sealed.

#include <functional>
#include <string>

#include "api/api.hpp"
#include "db/pool.hpp"
#include "integrations/integration_runtime.hpp"

namespace sloth::integrations {

void AddOAuthRoutes(api::Api& api, db::Pool& pool, IntegrationRuntime& runtime,
                    std::string public_url, std::function<void()> on_change = {});

}  // namespace sloth::integrations
