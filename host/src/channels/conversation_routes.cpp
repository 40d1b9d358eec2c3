// /api/conversations: the salon's view of its dialogues, handing one to staff and back, and
// staff replies delivered through the conversation's channel.
#include "agent/agent_repository.hpp"
#include "api/validation.hpp"
#include "channels/channel_routes.hpp"
#include "channels/channel_worker.hpp"
#include "conversations/conversation_json.hpp"
#include "errors/error.hpp"

namespace sloth::channels {

using conversations::ConversationRepository;
using json = nlohmann::json;

namespace {

std::optional<std::string> ModeFilter(const std::optional<std::string>& mode, const char* field) {
  if (mode && *mode != "agent" && *mode != "human")
    throw errors::Error::InvalidArgument(std::string(field) + " must be agent or human", field);
  return mode;
}

}  // namespace

void AddConversationRoutes(api::Api& api) {
  api.Add("GET", "/api/conversations", api::Access::kTenant, [](api::Context& ctx) {
    const auto page = api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"));
    const auto source = ctx.request.Query("source");
    if (source && (source->empty() || source->size() > 64))
      throw errors::Error::InvalidArgument("source must be a plugin id", "source");
    const auto mode = ModeFilter(ctx.request.Query("mode"), "mode");
    // Newest first: the cursor is the last id seen (ids only grow).
    const auto rows =
        ConversationRepository().List(ctx.tx, source, page.after, page.limit + 1, mode);
    return http::Response::Json(
        200, api::PageJson(
                 rows, page, [](const conversations::ConversationSummary& c) { return c.id; },
                 conversations::SummaryJson));
  });

  api.Add("GET", "/api/conversations/{id}", api::Access::kTenant, [](api::Context& ctx) {
    const auto id = api::IdParam(ctx.request.Param("id"), "id");
    ConversationRepository conversations;
    const auto c = conversations.Find(ctx.tx, id);
    if (!c) throw errors::Error::NotFound("no such conversation", "id");
    const auto page =
        api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"), 100, 500);
    const auto rows = conversations.Messages(ctx.tx, id, page.after, page.limit + 1);
    json out = conversations::SummaryJson(*c);
    out["messages"] = api::PageJson(
        rows, page, [](const conversations::MessageRecord& m) { return m.id; },
        conversations::MessageJson);
    return http::Response::Json(200, out);
  });

  // A person takes the conversation over (the agent stays silent) or gives it back.
  api.Add("POST", "/api/conversations/{id}/handoff", api::Access::kTenant, [](api::Context& ctx) {
    const auto id = api::IdParam(ctx.request.Param("id"), "id");
    ConversationRepository conversations;
    if (!conversations.Find(ctx.tx, id))
      throw errors::Error::NotFound("no such conversation", "id");
    const json body = ctx.request.Json();
    api::OnlyFields(body, {"mode"});
    const auto mode = ModeFilter(api::OptionalString(body, "mode", 16), "mode");
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
