#pragma once

#include "api/api.hpp"
#include "channels/inbound.hpp"
#include "integrations/integration_runtime.hpp"

namespace sloth::channels {

// GET|POST /hooks/{plugin}/{integration}: the provider's webhook, verified by the plugin.
void AddWebhookRoutes(api::Api& api, db::Pool& pool, integrations::IntegrationRuntime& runtime,
                      Inbound& inbound);

// GET /api/conversations (?source=&limit=&cursor=) and /api/conversations/{id}.
void AddConversationRoutes(api::Api& api);

}  // namespace sloth::channels
