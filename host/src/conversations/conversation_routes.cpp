#include "conversations/conversation_routes.hpp"

#include "api/validation.hpp"
#include "conversations/conversation_json.hpp"
#include "conversations/conversation_repository.hpp"
#include "errors/error.hpp"

namespace sloth::conversations {

std::optional<std::string> ModeFilter(const std::optional<std::string>& mode,
                                      const std::string& field) {
  if (mode && *mode != "agent" && *mode != "human")
    throw errors::Error::InvalidArgument(field + " must be agent or human", field);
  return mode;
}

void AddReadRoutes(api::Api& api, const std::string& base, const std::string& mode_param) {
  api.Add("GET", base, api::Access::kTenant, [mode_param](api::Context& ctx) {
    const auto page = api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"));
    const auto source = ctx.request.Query("source");
    if (source && (source->empty() || source->size() > 64))
      throw errors::Error::InvalidArgument("source must be web or a channel plugin id", "source");
    const auto mode = ModeFilter(ctx.request.Query(mode_param), mode_param);
    // Newest first: the cursor is the last id seen (ids only grow).
    const auto rows =
        ConversationRepository().List(ctx.tx, source, page.after, page.limit + 1, mode);
    return http::Response::Json(
        200, api::PageJson(
                 rows, page, [](const ConversationSummary& c) { return c.id; }, SummaryJson));
  });

  api.Add("GET", base + "/{id}", api::Access::kTenant, [](api::Context& ctx) {
    const auto id = api::IdParam(ctx.request.Param("id"), "id");
    ConversationRepository conversations;
    const auto c = conversations.Find(ctx.tx, id);
    if (!c) throw errors::Error::NotFound("no such conversation", "id");
    const auto page =
        api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"), 100, 500);
    const auto rows = conversations.Messages(ctx.tx, id, page.after, page.limit + 1);
    nlohmann::json out = SummaryJson(*c);
    out["messages"] = api::PageJson(
        rows, page, [](const MessageRecord& m) { return m.id; }, MessageJson);
    return http::Response::Json(200, out);
  });
}

}  // namespace sloth::conversations
