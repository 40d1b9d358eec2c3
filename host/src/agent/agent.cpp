#include "agent/agent.hpp"

#include <chrono>
#include <map>

#include <date/tz.h>
#include <spdlog/spdlog.h>

#include "accounts/account_repository.hpp"
#include "agent/agent_repository.hpp"
#include "agent/router.hpp"
#include "agent/supervisor.hpp"
#include "conversations/conversation_repository.hpp"
#include "errors/error.hpp"
#include "jobs/job_queue.hpp"
#include "sloth_text/words.hpp"
#include "tenants/tenant_repository.hpp"

namespace sloth::agent {
namespace {

using json = nlohmann::json;

// Tokens as the budgets count them: about four characters each (OpenAI's rule of thumb
// for English; conservative for Cyrillic, which tokenises worse).
std::size_t Tokens(std::string_view s) {
  return (text::Length(s) + 3) / 4;
}

const char* LanguageName(const std::string& code) {
  static const std::map<std::string, const char*> names = {{"en", "English"},
                                                           {"uk", "Ukrainian"},
                                                           {"ru", "Russian"},
                                                           {"pl", "Polish"},
                                                           {"de", "German"}};
  const auto it = names.find(code);
  return it == names.end() ? "the client's language" : it->second;
}

std::string Today(const std::string& zone) {
  const auto now = std::chrono::system_clock::now();
  try {
    const auto local = date::make_zoned(zone.empty() ? "UTC" : zone, now).get_local_time();
    return date::format("%F", date::floor<date::days>(local));
  } catch (const std::exception&) {
    return date::format("%F", date::floor<date::days>(now));
  }
}

struct TurnInputs {
  Prompt prompt;
  std::optional<conversations::Memory> memory;
  std::string salon_name, salon_phone, timezone;
};

}  // namespace

std::string FallbackReply(const std::string& language, const AgentConfig& config) {
  if (!config.fallback_reply.empty()) return config.fallback_reply;
  static const std::map<std::string, std::string> replies = {
      {"en", "Sorry, I cannot answer that right now. A member of the team will get back to you."},
      {"uk", "Вибачте, зараз я не можу відповісти. Адміністратор салону зв'яжеться з вами."},
      {"ru", "Извините, сейчас я не могу ответить. Администратор салона свяжется с вами."},
      {"pl", "Przepraszam, nie mogę teraz odpowiedzieć. Ktoś z zespołu odezwie się do Ciebie."},
      {"de",
       "Entschuldigung, das kann ich gerade nicht beantworten. Jemand aus dem Team meldet "
       "sich bei Ihnen."}};
  const auto it = replies.find(language);
  return it == replies.end() ? replies.at("en") : it->second;
}

std::string DeclinedReply(const std::string& language) {
  static const std::map<std::string, std::string> replies = {
      {"en", "All right, I have not changed anything. How else can I help?"},
      {"uk", "Добре, я нічого не змінював. Чим ще можу допомогти?"},
      {"ru", "Хорошо, я ничего не менял. Чем ещё могу помочь?"},
      {"pl", "Dobrze, niczego nie zmieniłem. W czym jeszcze mogę pomóc?"},
      {"de", "In Ordnung, ich habe nichts geändert. Wie kann ich sonst helfen?"}};
  const auto it = replies.find(language);
  return it == replies.end() ? replies.at("en") : it->second;
}

std::string RefusedReply(const std::string& language) {
  static const std::map<std::string, std::string> replies = {
      {"en",
       "Sorry, I can't help with that topic. Is there anything else about our services I "
       "can help with?"},
      {"uk",
       "Вибачте, з цієї теми я не можу допомогти. Чи можу я допомогти з чимось щодо наших "
       "послуг?"},
      {"ru",
       "Извините, с этой темой я не могу помочь. Могу ли я помочь с чем-то о наших "
       "услугах?"},
      {"pl",
       "Przepraszam, w tym temacie nie mogę pomóc. Czy mogę pomóc w czymś dotyczącym "
       "naszych usług?"},
      {"de",
       "Entschuldigung, bei diesem Thema kann ich nicht helfen. Kann ich Ihnen sonst zu "
       "unseren Leistungen helfen?"}};
  const auto it = replies.find(language);
  return it == replies.end() ? replies.at("en") : it->second;
}

json TurnResult::SourcesJson() const {
  json out = json::array();
  for (const auto& s : sources) {
    json j = {{"chunk_id", s.chunk_id},
              {"document_id", s.document_id},
              {"kind", s.kind},
              {"title", s.title}};
    if (s.page > 0) j["page"] = s.page;
    out.push_back(std::move(j));
  }
  return out;
}

json TurnResult::ToolsJson() const {
  json out = json::array();
  for (const auto& t : tools) {
    json j = {{"name", t.name}, {"arguments", t.arguments}, {"ok", t.ok}};
    if (t.ok) {
      j["output"] = t.output;
    } else {
      j["error"] = t.error;
    }
    out.push_back(std::move(j));
  }
  return out;
}

Agent::Agent(db::Pool& pool, plugins::PluginManager& plugins, knowledge::Retriever& retriever,
             AgentConfig config)
    : pool_(pool),
      retriever_(retriever),
      config_(std::move(config)),
      llm_(plugins, config_.llm_plugin) {}

TurnResult Agent::Answer(const TurnRequest& req) {
  const auto started = std::chrono::steady_clock::now();
  TurnResult out;

  // 1. What the turn needs, read in one round trip.
  const TurnInputs in =
      pool_.InTenant(db::TenantId{req.tenant}, db::kReadOnly, [&](db::Transaction& tx) {
        TurnInputs t;
        std::optional<accounts::Organization> org;
        // Conversation 0 (a draft tried in the dashboard) has no memory: its query finds none.
        std::tie(t.prompt, t.memory, org) =
            tx.Together(PromptRepository().CurrentQuery(),
                        conversations::ConversationRepository().ReadMemoryQuery(
                            req.conversation_id, req.before_message_id, 40),
                        accounts::AccountRepository().FindOrganizationQuery(req.tenant));
        if (req.draft) t.prompt = *req.draft;
        if (req.conversation_id && !t.memory)
          throw errors::Error::NotFound("no such conversation", "conversation_id");
        if (org) {
          t.salon_name = org->name;
          t.salon_phone = org->phone.value_or("");
          t.timezone = org->timezone;
        }
        return t;
      });

  std::string said;
  for (const auto& m : req.messages) said += (said.empty() ? "" : "\n") + m;
  std::string hint = req.language_hint;
  if (hint.empty() && in.memory && in.memory->customer_language)
    hint = *in.memory->customer_language;
  const Route route = RouteMessage(said, hint.substr(0, 2));
  out.language = route.language;
  out.intent = IntentName(route.intent);
  out.handoff = route.intent == Intent::kHuman;
  auto finish = [&] {
    out.processing_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - started)
                            .count();
    return out;
  };

  // 2. A topic the salon refuses is answered without the model.
  if (const auto topic = RefusedTopic(said, in.prompt.refused_topics)) {
    out.reply = RefusedReply(out.language);
    out.audit.push_back({"topic_refused", "topic: " + *topic + "; message: " + said});
    return finish();
  }

  ToolContext tool_ctx;
  tool_ctx.tenant = req.tenant;
  tool_ctx.conversation_id = req.conversation_id;
  tool_ctx.channel = req.channel;
  tool_ctx.external_id = req.external_id;
  tool_ctx.pool = &pool_;
  tool_ctx.dry_run = req.dry_run;
  tool_ctx.language = out.language;
  if (in.memory && in.memory->customer_name) tool_ctx.client_name = *in.memory->customer_name;
  auto run_tool = [&](const std::string& name, const std::string& arguments) {
    const ToolResult res = tools_.Call(name, arguments, tool_ctx);
    ToolRecord rec;
    rec.name = name;
    rec.arguments = json::parse(arguments, nullptr, false);
    if (rec.arguments.is_discarded()) rec.arguments = arguments;
    rec.ok = res.ok;
    rec.output = res.output;
    rec.error = res.error;
    out.tools.push_back(rec);
    // The last action a tool asks the client to confirm waits on the conversation.
    if (res.ok && res.output.is_object() && res.output.contains("confirm") &&
        res.output["confirm"].is_object())
      out.pending = res.output["confirm"];
    return res;
  };

  // The client answers the assistant's question (book? move? cancel?): a yes runs the
  // action as asked, with no model in between; a no drops it.
  if (in.memory && in.memory->pending_action.is_object()) {
    const json& p = in.memory->pending_action;
    const YesNo answer = YesOrNo(said);
    if (answer != YesNo::kNeither && p.contains("tool") && p["tool"].is_string()) {
      out.intent = answer == YesNo::kYes ? "confirm" : "decline";
      if (answer == YesNo::kYes) {
        json args = p.value("arguments", json::object());
        args["confirmed"] = true;
        const ToolResult res = run_tool(p["tool"].get<std::string>(), args.dump());
        out.reply = res.ok && res.output.contains("reply") && res.output["reply"].is_string()
                        ? res.output["reply"].get<std::string>()
                        : FallbackReply(out.language, config_);
        if (!res.ok)
          out.audit.push_back({"tool_failed", p["tool"].get<std::string>() + ": " + res.error});
      } else {
        out.reply = DeclinedReply(out.language);
      }
      return finish();
    }
  }

  // 3. Knowledge within its token budget. A short follow-up ("and a pedicure?") is searched
  // together with the client's previous line.
  std::string query = said;
  if (text::Words(said).size() < 3 && in.memory) {
    for (auto it = in.memory->recent.rbegin(); it != in.memory->recent.rend(); ++it) {
      if (it->author == "client") {
        query = it->text + "\n" + said;
        break;
      }
    }
  }
  std::vector<knowledge::SearchHit> hits;
  try {
    hits = retriever_.Search(req.tenant, query, config_.top_k);
  } catch (const std::exception& e) {
    // Without knowledge the model still greets, hands over and says it does not know.
    out.audit.push_back({"retrieval_failed", e.what()});
    spdlog::warn("agent: retrieval for tenant {} failed: {}", req.tenant, e.what());
  }
  std::string knowledge;
  json context = json::array();
  std::size_t budget = static_cast<std::size_t>(config_.context_tokens);
  for (const auto& h : hits) {
    const std::size_t cost = Tokens(h.text) + 8;
    if (cost > budget) break;
    budget -= cost;
    const std::string label = h.title + (h.page > 0 ? ", p. " + std::to_string(h.page) : "");
    knowledge +=
        "[" + std::to_string(out.sources.size() + 1) + "] " + label + ":\n" + h.text + "\n\n";
    json c = {{"chunk_id", h.chunk_id}, {"title", h.title}, {"text", h.text}};
    if (h.page > 0) c["page"] = h.page;
    context.push_back(std::move(c));
    out.sources.push_back({h.chunk_id, h.document_id, h.kind, h.title, h.page});
  }

  // 4. The prompt: system (role, instructions, language, salon, knowledge), the summary,
  // the recent lines within their budget, the new messages.
  std::string system = in.prompt.role + "\n\n" + in.prompt.instructions + "\n\nReply in " +
                       LanguageName(out.language) + ".";
  std::string salon = "Salon: " + (in.salon_name.empty() ? std::string("-") : in.salon_name);
  if (!in.salon_phone.empty()) salon += ". Phone: " + in.salon_phone;
  system += "\n" + salon + ".";
  if (!in.prompt.context.empty()) system += "\n\n" + in.prompt.context;
  system += knowledge.empty() ? "\n\nThe salon's information has nothing on this question."
                              : "\n\nThe salon's information:\n" + knowledge;
  json messages = json::array({{{"role", "system"}, {"content", system}}});
  if (in.memory && in.memory->summary) {
    messages.push_back({{"role", "system"},
                        {"content", "Summary of the conversation so far: " + *in.memory->summary}});
  }
  if (in.memory) {
    std::size_t history_budget = static_cast<std::size_t>(config_.history_tokens);
    std::vector<json> lines;
    for (auto it = in.memory->recent.rbegin(); it != in.memory->recent.rend(); ++it) {
      const std::size_t cost = Tokens(it->text) + 4;
      if (cost > history_budget) break;
      history_budget -= cost;
      const bool client = it->author == "client";
      lines.push_back({{"role", client ? "user" : "assistant"},
                       {"content", it->author == "staff" ? "(staff) " + it->text : it->text}});
    }
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) messages.push_back(*it);
  }
  messages.push_back({{"role", "user"}, {"content", said}});

  // 5. The model, with the tools, for up to max_tool_iterations tool rounds.
  const json hints = {{"language", out.language},
                      {"intent", out.intent},
                      {"context", context},
                      {"salon", {{"name", in.salon_name}, {"phone", in.salon_phone}}},
                      {"today", Today(in.timezone)}};
  // The ABI's tool shape (sdk/README.md): {name, description, parameters}.
  json tool_definitions = json::array();
  for (const auto& d : tools_.Definitions()) tool_definitions.push_back(d["function"]);
  std::string reply;
  try {
    for (int round = 0;; ++round) {
      json request = {{"messages", messages},
                      {"temperature", in.prompt.temperature},
                      {"max_tokens", in.prompt.max_tokens},
                      {"hints", hints}};
      const bool offer_tools = tools_.size() > 0 && round < config_.max_tool_iterations;
      if (offer_tools) request["tools"] = tool_definitions;
      const LlmReply r = llm_.Chat(request);
      out.tokens_in += r.tokens_in;
      out.tokens_out += r.tokens_out;
      out.model = r.model;
      if (r.tool_calls.empty() || !offer_tools) {
        reply = r.text;
        break;
      }
      json calls = json::array();
      for (const auto& c : r.tool_calls) {
        json args = json::parse(c.arguments, nullptr, false);
        calls.push_back({{"id", c.id},
                         {"name", c.name},
                         {"arguments", args.is_discarded() ? json(c.arguments) : args}});
      }
      messages.push_back({{"role", "assistant"},
                          {"content", r.text.empty() ? json(nullptr) : json(r.text)},
                          {"tool_calls", calls}});
      for (const auto& c : r.tool_calls) {
        const ToolResult res = run_tool(c.name, c.arguments);
        messages.push_back(
            {{"role", "tool"},
             {"tool_call_id", c.id},
             {"name", c.name},
             {"content", res.ok ? res.output.dump() : json{{"error", res.error}}.dump()}});
      }
    }
  } catch (const errors::Error& e) {
    out.reply = FallbackReply(out.language, config_);
    out.fallback = true;
    out.audit.push_back({"llm_failed", e.what()});
    spdlog::warn("agent: tenant {}: {}", req.tenant, e.what());
    return finish();
  }

  // 6. The supervisor's check of the reply.
  ReplyCheck check;
  check.system_prompt = in.prompt.role + "\n" + in.prompt.instructions;
  check.grounding = in.prompt.context + "\n" + knowledge + "\n" + salon + "\n" + said;
  if (in.memory) {
    for (const auto& l : in.memory->recent) check.grounding += "\n" + l.text;
  }
  for (const auto& t : out.tools) check.grounding += "\n" + t.output.dump();
  check.max_chars = static_cast<std::size_t>(config_.max_reply_chars);
  if (const auto why = CheckReply(reply, check)) {
    out.audit.push_back({"reply_replaced", *why + "; reply: " + text::Prefix(reply, 500)});
    spdlog::warn("agent: tenant {}: reply replaced ({})", req.tenant, *why);
    out.reply = FallbackReply(out.language, config_);
    out.fallback = true;
    return finish();
  }
  out.reply = reply;
  if (out.handoff) out.audit.push_back({"handoff", "the client asked for a person"});
  return finish();
}

std::optional<std::int64_t> Agent::Record(db::Transaction& tx, std::int64_t conversation,
                                          const TurnResult& turn, const RecordOptions& options) {
  conversations::NewOutbound m;
  m.text = turn.reply + options.suffix;
  m.author = "agent";
  m.status = options.status;
  m.reply_to = options.reply_to;
  m.language = turn.language;
  m.intent = turn.intent;
  if (!turn.model.empty()) m.model = turn.model;
  m.tokens_in = turn.tokens_in;
  m.tokens_out = turn.tokens_out;
  m.processing_ms = turn.processing_ms;
  m.sources = turn.SourcesJson();
  m.tools = turn.ToolsJson();
  conversations::ConversationRepository conversations;
  const auto id = conversations.AddOutbound(tx, conversation, m);
  if (!id) return id;
  if (turn.handoff) conversations.SetMode(tx, conversation, "human");
  // With the COMMIT: nothing in the transaction reads it back.
  tx.AtCommit(conversations.SetPendingActionQuery(conversation, turn.pending));
  AuditLog audit;
  for (const auto& e : turn.audit) audit.Record(tx, conversation, e.event, e.detail);
  return id;
}

int Agent::SummarizeIdle(std::int64_t tenant, int limit) {
  const auto due = pool_.InTenant(db::TenantId{tenant}, [&](db::Transaction& tx) {
    return conversations::ConversationRepository().DueForSummary(
        tx, static_cast<int>(config_.summarize_idle.count()), limit, 200);
  });
  int done = 0;
  for (const auto& w : due) {
    if (w.lines.empty()) continue;
    json messages = json::array(
        {{{"role", "system"},
          {"content",
           "Summarise this conversation between a salon's client and its assistant in a few "
           "sentences: what the client wanted, what was answered or agreed, what is open."}}});
    if (w.summary) {
      messages.push_back({{"role", "system"}, {"content", "Earlier summary: " + *w.summary}});
    }
    for (const auto& l : w.lines) {
      messages.push_back(
          {{"role", l.author == "client" ? "user" : "assistant"}, {"content", l.text}});
    }
    std::string summary;
    try {
      summary = llm_.Chat({{"messages", messages},
                           {"temperature", 0.2},
                           {"max_tokens", 300},
                           {"hints", {{"task", "summarize"}}}})
                    .text;
    } catch (const errors::Error& e) {
      spdlog::warn("agent: summary of conversation {} (tenant {}) failed: {}", w.conversation_id,
                   tenant, e.what());
      continue;
    }
    if (summary.empty()) continue;  // the earlier summary is kept
    pool_.InTenant(db::TenantId{tenant}, [&](db::Transaction& tx) {
      conversations::ConversationRepository().SaveSummary(
          tx, w.conversation_id, text::Prefix(summary, 8000), w.lines.back().id);
    });
    ++done;
  }
  return done;
}

void Agent::Register(jobs::WorkerPool& jobs) {
  // Hourly (host.yaml): one job per organisation, so one slow model call holds up one salon.
  jobs.Register("agent.summarize_scan", [](jobs::JobContext& ctx) {
    for (const auto& tenant : tenants::TenantRepository::Ids(ctx.tx)) {
      jobs::EnqueueOptions o;
      o.tenant_id = tenant.value;
      jobs::Enqueue(ctx.tx, "agent.summarize", json::object(), o);
    }
  });
  jobs.RegisterStaged("agent.summarize", [this](jobs::StagedJobContext& ctx) {
    if (!ctx.job.tenant_id) return;
    const int n = SummarizeIdle(*ctx.job.tenant_id, 50);
    if (n > 0) spdlog::info("agent: {} conversation(s) summarised", n);
  });
}

}  // namespace sloth::agent
