#include "agent/agent_routes.hpp"

#include "agent/agent_repository.hpp"
#include "api/validation.hpp"
#include "billing/usage.hpp"
#include "conversations/conversation_repository.hpp"
#include "conversations/conversation_routes.hpp"
#include "errors/error.hpp"

namespace sloth::agent {
namespace {

using conversations::ConversationRepository;
using json = nlohmann::json;

json TurnJson(const TurnResult& t, json conversation_id) {
  return {{"conversation_id", std::move(conversation_id)},
          {"reply", t.reply},
          {"language", t.language},
          {"intent", t.intent},
          {"sources", t.SourcesJson()},
          {"tools", t.ToolsJson()},
          {"handoff", t.handoff},
          {"fallback", t.fallback},
          {"model", t.model},
          {"tokens", {{"in", t.tokens_in}, {"out", t.tokens_out}}},
          {"processing_ms", t.processing_ms}};
}

std::optional<std::int64_t> OptionalId(const json& body, const char* field) {
  if (!body.contains(field) || body[field].is_null()) return std::nullopt;
  if (!body[field].is_number_integer() || body[field].get<std::int64_t>() <= 0)
    throw errors::Error::InvalidArgument(std::string(field) + " must be a positive integer", field);
  return body[field].get<std::int64_t>();
}

void AddPromptRoutes(api::Api& api, Agent& agent) {
  api.Add("GET", "/api/agent/prompt", api::Access::kTenant, [](api::Context& ctx) {
    return http::Response::Json(200, PromptRepository().Current(ctx.tx).ToJson());
  });

  api.Add("PUT", "/api/agent/prompt", api::Access::kOwner, [&agent](api::Context& ctx) {
    const json body = ctx.request.Json();
    PromptRepository prompts;
    const Prompt next = ApplyChange(prompts.Current(ctx.tx), body, agent.config().model_max_tokens);
    return http::Response::Json(200, prompts.Save(ctx.tx, next, ctx.user().user_id).ToJson());
  });

  api.Add("GET", "/api/agent/prompt/versions", api::Access::kTenant, [](api::Context& ctx) {
    const auto page = api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"));
    const auto rows =
        PromptRepository().Versions(ctx.tx, static_cast<int>(page.after), page.limit + 1);
    return http::Response::Json(200, api::PageJson(
                                         rows, page, [](const Prompt& p) { return p.version; },
                                         [](const Prompt& p) { return p.ToJson(); }));
  });

  // A restore is a new version with the old one's content: history is never rewritten.
  api.Add("POST", "/api/agent/prompt/versions/{n}/restore", api::Access::kOwner,
          [](api::Context& ctx) {
            const auto n = api::IdParam(ctx.request.Param("n"), "version");
            PromptRepository prompts;
            const auto old = prompts.Find(ctx.tx, static_cast<int>(n));
            if (!old) throw errors::Error::NotFound("no such prompt version", "version");
            return http::Response::Json(
                200, prompts.Save(ctx.tx, *old, ctx.user().user_id, old->version).ToJson());
          });
}

void AddChatRoutes(api::Api& api, Agent& agent, const std::string& limit_reply,
                   plugins::TenantCalls& calls) {
  // The web chat: the message and the reply are stored on a `web` conversation and count
  // against the plan like a channel's.
  api.AddPooled("POST", "/api/agent/chat", api::Access::kTenant,
                [&agent, limit_reply, &calls](api::PooledContext& ctx) {
                  // Taken before the message is stored: a refusal loses nothing.
                  const auto slot = calls.Acquire(ctx.tenant());
                  const json body = ctx.request.Json();
                  api::OnlyFields(body, {"message", "conversation_id"});
                  const std::string message = api::RequiredString(body, "message", 4000);
                  const auto requested = OptionalId(body, "conversation_id");
                  struct Started {
                    std::int64_t conversation = 0, message_id = 0;
                    std::string mode = "agent";
                    std::optional<billing::Refusal> refusal;
                  };
                  const Started s = ctx.InTenant([&](db::Transaction& tx) {
                    ConversationRepository conversations;
                    billing::UsageMeter usage;
                    Started st;
                    if (requested) {
                      const auto c = conversations.Find(tx, *requested);
                      if (!c || c->source != "web")
                        throw errors::Error::NotFound("no such web conversation",
                                                      "conversation_id");
                      st.conversation = *requested;
                      st.mode = c->mode;
                    } else {
                      st.refusal = usage.TryConsume(tx, ctx.tenant(), "conversations");
                      st.conversation = conversations.OpenWeb(tx, ctx.principal.user_id, "");
                    }
                    if (!st.refusal) st.refusal = usage.TryConsume(tx, ctx.tenant(), "messages");
                    st.message_id =
                        conversations.AddInbound(tx, st.conversation, message, json::object(), "");
                    conversations.NoteInbound(tx, st.conversation, 1);
                    if (st.refusal) {
                      conversations::NewOutbound m;
                      m.text = limit_reply;
                      m.author = "system";
                      m.status = "sent";
                      m.intent = "limit";
                      m.reply_to = st.message_id;
                      conversations.AddOutbound(tx, st.conversation, m);
                    }
                    return st;
                  });
                  if (s.refusal) {
                    json out = {{"conversation_id", s.conversation},
                                {"reply", limit_reply},
                                {"language", nullptr},
                                {"sources", json::array()},
                                {"tools", json::array()}};
                    out["limit"] = {{"metric", s.refusal->metric},
                                    {"used", s.refusal->used},
                                    {"max", s.refusal->max},
                                    {"message", s.refusal->message}};
                    return http::Response::Json(200, out);
                  }
                  if (s.mode == "human") {
                    // Staff answer this conversation; the message waits for them.
                    return http::Response::Json(200, {{"conversation_id", s.conversation},
                                                      {"reply", nullptr},
                                                      {"language", nullptr},
                                                      {"sources", json::array()},
                                                      {"tools", json::array()},
                                                      {"mode", "human"}});
                  }
                  TurnRequest req;
                  req.tenant = ctx.tenant();
                  req.conversation_id = s.conversation;
                  req.before_message_id = s.message_id;
                  req.channel = "web";
                  req.external_id = std::to_string(ctx.principal.user_id);
                  req.messages = {message};
                  const TurnResult turn = agent.Answer(req);  // no transaction open
                  ctx.InTenant([&](db::Transaction& tx) {
                    RecordOptions o;
                    o.reply_to = s.message_id;
                    o.status = "sent";
                    agent.Record(tx, s.conversation, turn, o);
                  });
                  return http::Response::Json(200, TurnJson(turn, s.conversation));
                });

  // The sandbox: the same turn, a draft prompt if given, tools in dry-run, nothing stored
  // and nothing counted.
  api.AddPooled("POST", "/api/agent/test", api::Access::kTenant, [&agent](api::PooledContext& ctx) {
    const json body = ctx.request.Json();
    api::OnlyFields(body, {"message", "prompt"});
    const std::string message = api::RequiredString(body, "message", 4000);
    TurnRequest req;
    req.tenant = ctx.tenant();
    req.channel = "sandbox";
    req.messages = {message};
    req.dry_run = true;
    req.draft = ctx.InTenant([&](db::Transaction& tx) {
      Prompt current = PromptRepository().Current(tx);
      if (!body.contains("prompt") || body["prompt"].is_null()) return current;
      try {
        return ApplyChange(current, body["prompt"], agent.config().model_max_tokens);
      } catch (const errors::Error& e) {
        // Name the field inside the draft: prompt.temperature.
        throw errors::Error(e.code(), e.what(), "prompt." + e.field(), e.details());
      }
    });
    const TurnResult turn = agent.Answer(req);
    json out = TurnJson(turn, nullptr);
    json checks = json::array();
    for (const auto& a : turn.audit) checks.push_back({{"event", a.event}, {"detail", a.detail}});
    out["checks"] = checks;
    return http::Response::Json(200, out);
  });
}

void AddHistoryRoutes(api::Api& api) {
  // A conversation's status: answered by the agent, or handed to a person.
  conversations::AddReadRoutes(api, "/api/agent/history", "status");

  // What the supervisor stopped or recorded, PII-masked: for the owner's eyes.
  api.Add("GET", "/api/agent/audit", api::Access::kOwner, [](api::Context& ctx) {
    const auto page = api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"));
    const auto rows = AuditLog().List(ctx.tx, page.after, page.limit + 1);
    return http::Response::Json(
        200, api::PageJson(
                 rows, page, [](const AuditLog::Entry& e) { return e.id; },
                 [](const AuditLog::Entry& e) {
                   return json{{"id", e.id},
                               {"conversation_id",
                                e.conversation_id ? json(*e.conversation_id) : json(nullptr)},
                               {"event", e.event},
                               {"detail", e.detail},
                               {"created_at", e.created_at}};
                 }));
  });
}

}  // namespace

void AddRoutes(api::Api& api, Agent& agent, const std::string& limit_reply,
               plugins::TenantCalls& calls) {
  AddPromptRoutes(api, agent);
  AddChatRoutes(api, agent, limit_reply, calls);
  AddHistoryRoutes(api);
}

}  // namespace sloth::agent
