#pragma once

#include "api/api.hpp"
#include "channels/inbound.hpp"
#include "integrations/integration_runtime.hpp"

namespace sloth::channels {

// GET|POST /hooks/{plugin}/{integration}: the provider's webhook, verified by the plugin.
void AddWebhookRoutes(api::Api& api, db::Pool& pool, integrations::IntegrationRuntime& runtime,
                      Inbound& inbound);

// GET /api/conversations (?source=&mode=&limit=&cursor=), GET /api/conversations/{id},
// POST /api/conversations/{id}/messages (a staff reply, delivered through the channel) and
// POST /api/conversations/{id}/handoff ({mode: human | agent}).
void AddConversationRoutes(api::Api& api);

}  // namespace sloth::channels
