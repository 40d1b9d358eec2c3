#include "channels/channel_worker.hpp"

#include <spdlog/spdlog.h>

#include "accounts/account_repository.hpp"
#include "billing/plan_catalog.hpp"
#include "billing/usage.hpp"
#include "conversations/conversation_repository.hpp"
#include "jobs/job_queue.hpp"
#include "json/json_read.hpp"

namespace sloth::channels {
namespace {

using conversations::ConversationRepository;
using json = nlohmann::json;
using json_read::TextOf;

constexpr int kMaxEventsPerRun = 200;
// A reply's delivery is retried this often (rate limits, a provider down for a while).
constexpr int kSendAttempts = 8;

// Counts `amount` units; false (and nothing counted) when the plan's limit is reached or the
// subscription does not allow use.
bool Count(db::Transaction& tx, std::int64_t tenant, const char* metric, std::int64_t amount) {
  const auto refusal = billing::UsageMeter().TryConsume(tx, tenant, metric, amount);
  if (refusal)
    spdlog::info("channels: tenant {} over its plan ({}): {}", tenant, metric, refusal->message);
  return !refusal;
}

}  // namespace

void EnqueueSend(db::Transaction& tx, std::int64_t tenant, std::int64_t message) {
  jobs::EnqueueOptions o;
  o.queue = "channels";
  o.tenant_id = tenant;
  o.max_attempts = kSendAttempts;
  jobs::EnqueueAtCommit(tx, "channels.send", {{"message_id", message}}, o);
}

void ChannelWorker::Register(jobs::WorkerPool& jobs) {
  jobs.Register("channels.process", [this](jobs::JobContext& ctx) { Process(ctx); });
  jobs.RegisterStaged("channels.answer", [this](jobs::StagedJobContext& ctx) { Answer(ctx); });
  jobs.RegisterStaged("channels.send", [this](jobs::StagedJobContext& ctx) { Send(ctx); });
}

std::optional<std::string> ChannelWorker::RouteOf(const conversations::InboundEvent& e) const {
  if (e.type != "callback") return std::nullopt;
  const std::string data = TextOf(e.payload, "callback_data");
  for (const auto& [prefix, kind] : callback_routes_)
    if (data.rfind(prefix, 0) == 0) return kind;
  return std::nullopt;
}

void ChannelWorker::Process(jobs::JobContext& ctx) {
  auto& tx = ctx.tx;
  const std::string integration_id = TextOf(ctx.job.payload, "integration_id");
  const std::string chat = TextOf(ctx.job.payload, "chat_id");
  if (!ctx.job.tenant_id) throw std::runtime_error("channels.process without a tenant");
  const std::int64_t tenant = *ctx.job.tenant_id;
  ConversationRepository conversations;
  // Everything this chat sent so far (a later job of the same burst finds nothing left), and
  // its integration, in one round trip.
  const auto [events, integration] =
      tx.Together(conversations.LockPendingEventsQuery(integration_id, chat, kMaxEventsPerRun),
                  integrations::IntegrationRepository().FindQuery(integration_id));
  if (events.empty()) return;

  const json from = events.front().payload.value("from", json::object());
  bool created = false;
  const std::int64_t conversation = conversations.OpenConversation(
      tx, integration ? integration->plugin_id : "unknown", integration_id, chat,
      TextOf(from, "name"), TextOf(from, "language"), created);

  json texts = json::array();
  std::vector<std::int64_t> ids;
  std::int64_t first = 0, last = 0;
  std::int64_t answerable = 0;
  for (const auto& e : events) {
    std::string text = TextOf(e.payload, "text");
    if (e.type == "callback" && text.empty()) text = TextOf(e.payload, "callback_data");
    const std::int64_t message = conversations.AddInbound(tx, conversation, text, e.payload,
                                                          TextOf(e.payload, "message_id"));
    if (const auto route = RouteOf(e)) {
      jobs::EnqueueOptions o;
      o.tenant_id = tenant;
      o.max_attempts = 5;
      jobs::Enqueue(tx, *route,
                    {{"conversation_id", conversation},
                     {"data", TextOf(e.payload, "callback_data")},
                     {"message_id", message}},
                    o);
      ids.push_back(e.id);
      continue;  // answered by that job, not the assistant
    }
    // An edit alone is recorded, not answered again.
    if (e.type != "edited") {
      ++answerable;
      if (!first) first = message;
      last = message;
      if (!text.empty()) texts.push_back(text);
    }
    ids.push_back(e.id);
  }
  const auto [processed, noted, c] =
      tx.Together(conversations.MarkEventsProcessedQuery(ids),
                  conversations.NoteInboundQuery(conversation, static_cast<int>(events.size())),
                  conversations.FindQuery(conversation));
  // Staff answer a conversation in human mode.
  const bool answer = answerable > 0 && integration && integration->status != "disconnected" &&
                      !(c && c->mode == "human");
  // Counted last: a counter row is the tenant's, shared by all its chats, and locked from
  // the count until commit, so every statement after it would hold up the tenant's other
  // chats. A burst is counted whole or not at all.
  const bool within_plan = (!created || Count(tx, tenant, "conversations", 1)) &&
                           (answerable == 0 || Count(tx, tenant, "messages", answerable));
  if (!answer) return;

  if (!within_plan) {
    // No model is called past the limit; the owner sees why in the usage alerts.
    conversations::NewOutbound limit;
    limit.text = options_.limit_reply;
    limit.author = "system";
    limit.reply_to = last;
    limit.intent = "limit";
    if (const auto id = conversations.AddOutbound(tx, conversation, limit))
      EnqueueSend(tx, tenant, *id);
    return;
  }
  jobs::EnqueueOptions o;
  o.queue = "channels";
  o.tenant_id = tenant;
  o.max_attempts = kSendAttempts;  // it sends its reply too
  jobs::EnqueueAtCommit(tx, "channels.answer",
                        {{"conversation_id", conversation},
                         {"first_message_id", first},
                         {"last_message_id", last},
                         {"texts", texts}},
                        o);
}

void ChannelWorker::Answer(jobs::StagedJobContext& ctx) {
  if (!ctx.job.tenant_id) throw std::runtime_error("channels.answer without a tenant");
  const std::int64_t tenant = *ctx.job.tenant_id;
  const auto& p = ctx.job.payload;
  const std::int64_t conversation = p.value("conversation_id", std::int64_t{0});
  const std::int64_t last = p.value("last_message_id", std::int64_t{0});
  struct Read {
    bool skip = true;
    std::optional<std::int64_t> stored;  // the reply an earlier run stored but did not send
    Delivery delivery;
    std::string channel, chat, language, watermark;
  };
  ConversationRepository conversations;
  integrations::IntegrationRepository integrations;
  // Two round trips: what is known from the job, then what the first answers point to.
  const Read r = ctx.Read([&](db::Transaction& tx) {
    Read out;
    const auto [c, reply, org] =
        tx.Together(conversations.FindQuery(conversation), conversations.ReplyToQuery(last),
                    accounts::AccountRepository().FindOrganizationQuery(tenant));
    if (!c) return out;
    // Answered by an earlier run: sent already, or stored and still to send. A stored reply
    // goes out even when the conversation is a person's now: it may be the agent's own
    // handoff reply, which is what made it so.
    if (reply && !reply->pending) return out;
    if (!reply && c->mode == "human") return out;  // taken over by a person meanwhile
    out.skip = false;
    // No integration id (not a channel's conversation): its query finds none.
    const std::string integration_id = c->integration_id.value_or("");
    if (reply) {
      out.stored = reply->id;
      std::tie(out.delivery.integration, out.delivery.message) = tx.Together(
          integrations.FindQuery(integration_id), conversations.FindOutboundQuery(reply->id));
      return out;
    }
    out.channel = c->source;
    out.chat = c->external_chat_id.value_or("");
    out.language = c->customer_language.value_or("");
    std::optional<billing::Plan> plan;
    std::tie(out.delivery.integration, plan) = tx.Together(
        integrations.FindQuery(integration_id), billing::FindPlanQuery(org ? org->plan : ""));
    if (plan && plan->watermark && !options_.watermark.empty())
      out.watermark = "\n\n" + options_.watermark;
    return out;
  });
  if (r.skip) return;
  if (r.stored) {
    Deliver(ctx, *r.stored, r.delivery);
    return;
  }

  agent::TurnRequest req;
  req.tenant = tenant;
  req.conversation_id = conversation;
  req.before_message_id = p.value("first_message_id", std::int64_t{0});
  req.channel = r.channel;
  req.external_id = r.chat;
  req.language_hint = r.language;
  if (p.contains("texts") && p["texts"].is_array()) {
    for (const auto& t : p["texts"]) {
      if (t.is_string()) req.messages.push_back(t.get<std::string>());
    }
  }
  const agent::TurnResult turn = agent_.Answer(req);  // no transaction open
  // The reply is stored before it is sent: a repeat of this job (a send to retry, a crash)
  // sends the stored reply and never asks the model twice.
  std::optional<std::int64_t> id;
  Delivery delivery = r.delivery;
  ctx.Checkpoint([&](db::Transaction& tx) {
    agent::RecordOptions o;
    o.reply_to = last;
    o.suffix = r.watermark;
    id = agent_.Record(tx, conversation, turn, o);
    // Read with the COMMIT, once committed: what is delivered is what was stored.
    if (id) {
      tx.AtCommit(
          conversations.FindOutboundQuery(*id),
          [&](std::optional<conversations::Outbound> m) { delivery.message = std::move(m); });
    }
  });
  // Reading it back failed after the commit (logged there): the job's repeat sends it.
  if (id && !delivery.message)
    throw std::runtime_error("the stored reply " + std::to_string(*id) + " was not read back");
  if (id) Deliver(ctx, *id, delivery);
}

void ChannelWorker::Send(jobs::StagedJobContext& ctx) {
  const std::int64_t id = ctx.job.payload.value("message_id", std::int64_t{0});
  const Delivery d = ctx.Read([&](db::Transaction& tx) {
    Delivery out;
    out.message = ConversationRepository().FindOutbound(tx, id);
    if (out.message)
      out.integration = integrations::IntegrationRepository().Find(tx, out.message->integration_id);
    return out;
  });
  Deliver(ctx, id, d);
}

void ChannelWorker::Deliver(jobs::StagedJobContext& ctx, std::int64_t id, const Delivery& d) {
  if (!d.message || d.message->status != "pending") return;  // sent by an earlier attempt
  ConversationRepository conversations;
  integrations::IntegrationRepository integrations;
  const auto& integration = d.integration;
  auto fail = [&](const std::string& why) {
    ctx.Finish([&](db::Transaction& tx) {
      if (!conversations.MarkFailed(tx, id, why)) return;
      if (integration) integrations.RecordError(tx, integration->id, why);
    });
    spdlog::warn("channels: message {} not sent: {}", id, why);
  };
  if (!integration || (integration->status != "active" && integration->status != "error")) {
    fail("the integration is " + (integration ? integration->status : std::string("gone")));
    return;
  }
  json request = {{"chat_id", d.message->chat_id},
                  {"text", d.message->text},
                  {"customer_last_message_at", d.message->last_inbound_at}};
  for (const char* key : {"keyboard", "template"})
    if (d.message->payload.contains(key)) request[key] = d.message->payload[key];
  const auto inst = runtime_.Instance(*integration);
  // No transaction is open here. The provider call and our record of it cannot be atomic:
  // a crash between the two resends this one message on retry (providers offer no
  // idempotency key for it). The job is claimed under a lease, which keeps two workers from
  // sending it at once.
  const auto out = inst->Send(request.dump());
  if (out.ok()) {
    const auto sent = json::parse(out.output, nullptr, false);
    ctx.Finish([&](db::Transaction& tx) {
      if (conversations.MarkSent(tx, id, TextOf(sent, "message_id")))
        integrations.AddSent(tx, integration->id);
    });
    return;
  }
  if (out.status == SLOTH_RATE_LIMITED) {
    const auto secs = std::max<std::uint32_t>(1, (out.retry_after_ms + 999) / 1000);
    throw jobs::RetryAfter(std::chrono::seconds(secs),
                           "rate limited by the provider: " + out.error);
  }
  if (out.status == SLOTH_UNAVAILABLE || out.status == SLOTH_TIMEOUT ||
      out.status == SLOTH_INTERNAL || out.status == SLOTH_CANCELLED) {
    throw std::runtime_error("send failed, will retry: " + out.error);
  }
  fail(out.error);  // refused for good (blocked, outside the window, bad request)
}

}  // namespace sloth::channels
