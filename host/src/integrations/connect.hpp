#pragma once

// Connecting an organisation's integration: the route POST /api/integrations/{plugin}/connect
// and the OAuth callbacks of providers whose credentials come from a consent screen.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "db/pool.hpp"
#include "integrations/integration_repository.hpp"
#include "integrations/integration_runtime.hpp"

namespace sloth::integrations {

struct Connected {
  Integration row;
  nlohmann::json config;  // as validated, secrets included: never shown as is
  nlohmann::json schema;  // the plugin's config schema (which fields are secret)
};

// Checks the plan, creates and starts the plugin's instance with `config`, asks the
// provider to verify it (a channel connects its webhook; a calendar answers a free/busy
// query) with no transaction or row lock held, then records the integration with its
// config sealed — the plan checked again under the subscription's row lock, so two
// connects at once cannot both pass the limit. Throws errors::Error (invalid_config,
// provider_refused, plan limits).
Connected Connect(db::Pool& pool, IntegrationRuntime& runtime, const std::string& public_url,
                  std::int64_t tenant, const std::string& plugin_id, const nlohmann::json& config);

}  // namespace sloth::integrations
