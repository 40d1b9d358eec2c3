#pragma once

// /api/agent: the prompt and its versions (GET/PUT prompt, GET prompt/versions, POST
// prompt/versions/{n}/restore), the web chat (POST chat), the sandbox (POST test), the
// history (GET history, GET history/{id}) and the supervisor's audit (GET audit).

#include <string>

#include "agent/agent.hpp"
#include "api/api.hpp"
#include "plugins/tenant_calls.hpp"

namespace sloth::agent {

// `limit_reply`: what the web chat answers past the plan's message limit (the channels'
// reply, so a client hears the same everywhere).
// `calls` caps the web chat turns (LLM calls) one organisation runs at once.
void AddRoutes(api::Api& api, Agent& agent, const std::string& limit_reply,
               plugins::TenantCalls& calls);

}  // namespace sloth::agent
