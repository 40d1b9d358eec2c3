// /api/conversations: the salon's view of its dialogues, handing one to staff and back, and
// staff replies delivered through the conversation's channel.
#include "conversations/conversation_routes.hpp"
#include "agent/agent_repository.hpp"
#include "api/validation.hpp"
#include "channels/channel_routes.hpp"
#include "channels/channel_worker.hpp"
#include "conversations/conversation_json.hpp"
#include "conversations/conversation_repository.hpp"
#include "errors/error.hpp"

namespace sloth::channels {

using conversations::ConversationRepository;
using json = nlohmann::json;

void AddConversationRoutes(api::Api& api) {
  conversations::AddReadRoutes(api, "/api/conversations", "mode");

  // A person takes the conversation over (the agent stays silent) or gives it back.
  api.Add("POST", "/api/conversations/{id}/handoff", api::Access::kTenant, [](api::Context& ctx) {
    const auto id = api::IdParam(ctx.request.Param("id"), "id");
    ConversationRepository conversations;
    if (!conversations.Find(ctx.tx, id))
      throw errors::Error::NotFound("no such conversation", "id");
    const json body = ctx.request.Json();
    api::OnlyFields(body, {"mode"});
    const auto mode = conversations::ModeFilter(api::OptionalString(body, "mode", 16), "mode");
    if (!mode) throw errors::Error::InvalidArgument("mode is required: agent or human", "mode");
    conversations.SetMode(ctx.tx, id, *mode);
    agent::AuditLog().Record(ctx.tx, id, "handoff",
                             "set to " + *mode + " by user " + std::to_string(ctx.user().user_id));
    return http::Response::Json(200, conversations::SummaryJson(*conversations.Find(ctx.tx, id)));
  });

  // A staff reply: stored, then sent through the channel by channels.send (same retries as
  // the agent's replies); a web conversation has no channel and shows it at once.
  api.Add("POST", "/api/conversations/{id}/messages", api::Access::kTenant, [](api::Context& ctx) {
    const auto id = api::IdParam(ctx.request.Param("id"), "id");
    ConversationRepository conversations;
    const auto c = conversations.Find(ctx.tx, id);
    if (!c) throw errors::Error::NotFound("no such conversation", "id");
    const json body = ctx.request.Json();
    api::OnlyFields(body, {"text"});
    const std::string text = api::RequiredString(body, "text", 4096);
    conversations::NewOutbound m;
    m.text = text;
    m.author = "staff";
    m.status = c->integration_id ? "pending" : "sent";
    const auto message = conversations.AddOutbound(ctx.tx, id, m);
    if (c->integration_id) EnqueueSend(ctx.tx, ctx.tenant(), *message);
    return http::Response::Json(201, {{"id", *message},
                                      {"conversation_id", id},
                                      {"author", "staff"},
                                      {"text", text},
                                      {"status", m.status}});
  });
}

}  // namespace sloth::channels
