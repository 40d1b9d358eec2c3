#include "channels/channel_worker.hpp"

#include <spdlog/spdlog.h>

#include "billing/usage.hpp"
#include "http/api_error.hpp"
#include "jobs/job_queue.hpp"
#include "plugins/plugin_output.hpp"

namespace sloth::channels {
namespace {

using json = nlohmann::json;

// Counts one unit; false (and nothing counted) when the plan's limit is reached or the
// subscription does not allow use.
bool Count(db::Transaction& tx, std::int64_t tenant, const char* metric) {
  try {
    billing::UsageMeter().Consume(tx, tenant, metric);
    return true;
  } catch (const http::ApiError& e) {
    spdlog::info("channels: tenant {} over its plan ({}): {}", tenant, metric, e.what());
    return false;
  }
}

}  // namespace

void ChannelWorker::Register(jobs::WorkerPool& jobs) {
  jobs.Register("channels.process", [this](jobs::JobContext& ctx) { Process(ctx); });
  jobs.Register("channels.send", [this](jobs::JobContext& ctx) { Send(ctx); });
}

void ChannelWorker::Process(jobs::JobContext& ctx) {
  auto& tx = ctx.tx;
  const std::string integration_id = plugins::TextOf(ctx.job.payload, "integration_id");
  const std::string chat = plugins::TextOf(ctx.job.payload, "chat_id");
  if (!ctx.job.tenant_id) throw std::runtime_error("channels.process without a tenant");
  const std::int64_t tenant = *ctx.job.tenant_id;
  // Everything this chat sent so far; a later job of the same burst finds nothing left.
  auto events = tx.Exec(
      "SELECT id, type, payload::text FROM inbound_events WHERE integration_id = $1::uuid AND "
      "chat_id = $2 AND processed_at IS NULL ORDER BY id LIMIT 200 FOR UPDATE SKIP LOCKED",
      integration_id, chat);
  if (events.Empty()) return;
  const auto integration = integrations::IntegrationRepository().Find(tx, integration_id);

  json first = json::parse(events.Text(0, 2));
  const json from = first.value("from", json::object());
  auto conv = tx.Exec(
      "INSERT INTO conversations (source, integration_id, external_chat_id, customer_name, "
      "customer_language) VALUES ($1, $2::uuid, $3, nullif(left($4, 200), ''), nullif(left($5, "
      "16), '')) ON CONFLICT (integration_id, external_chat_id) DO NOTHING RETURNING id",
      integration ? integration->plugin_id : "unknown", integration_id, chat,
      plugins::TextOf(from, "name"), plugins::TextOf(from, "language"));
  bool within_plan = true;
  std::int64_t conversation = 0;
  if (!conv.Empty()) {
    conversation = conv.Int(0, 0);
    within_plan = Count(tx, tenant, "conversations");
  } else {
    conversation = tx.Exec(
                         "SELECT id FROM conversations WHERE integration_id = $1::uuid AND "
                         "external_chat_id = $2",
                         integration_id, chat)
                       .Int(0, 0);
  }

  std::vector<std::string> texts;
  bool needs_answer = false;
  for (int i = 0; i < events.Rows(); ++i) {
    const std::string type = events.Text(i, 1);
    const json e = json::parse(events.Text(i, 2));
    std::string text = plugins::TextOf(e, "text");
    if (type == "callback" && text.empty()) text = plugins::TextOf(e, "callback_data");
    tx.Exec(
        "INSERT INTO messages (conversation_id, direction, text, payload, external_id, status) "
        "VALUES ($1, 'in', left($2, 65536), $3::jsonb, left($4, 255), 'received')",
        conversation, text, e.dump(), plugins::TextOf(e, "message_id"));
    // An edit alone is recorded, not answered again.
    if (type != "edited") {
      needs_answer = true;
      if (within_plan) within_plan = Count(tx, tenant, "messages");
    }
    if (!text.empty()) texts.push_back(text);
  }
  tx.Exec(
      "UPDATE inbound_events SET processed_at = now() WHERE id = ANY (SELECT unnest($1::bigint[]))",
      [&] {
        std::string ids = "{";
        for (int i = 0; i < events.Rows(); ++i) ids += (i ? "," : "") + events.Text(i, 0);
        return ids + "}";
      }());
  tx.Exec(
      "UPDATE conversations SET message_count = message_count + $2, last_message_at = now(), "
      "last_inbound_at = now() WHERE id = $1",
      conversation, events.Rows());
  if (!needs_answer || !integration || integration->status == "disconnected") return;

  std::string reply;
  if (!within_plan) {
    reply = options_.limit_reply;  // no model is called past the limit
  } else {
    auto profile =
        tx.Exec("SELECT name, coalesce(phone, '') FROM public.tenants WHERE id = $1", tenant);
    reply = agent::OfflineAnswer(texts, {profile.Text(0, 0), profile.Text(0, 1)});
  }
  auto out = tx.Exec(
      "INSERT INTO messages (conversation_id, direction, text, status) VALUES ($1, 'out', $2, "
      "'pending') RETURNING id",
      conversation, reply);
  tx.Exec(
      "UPDATE conversations SET message_count = message_count + 1, last_message_at = now() WHERE "
      "id = $1",
      conversation);
  jobs::EnqueueOptions o;
  o.queue = "channels";
  o.tenant_id = tenant;
  o.max_attempts = 8;
  jobs::Enqueue(tx, "channels.send", {{"message_id", out.Int(0, 0)}}, o);
}

void ChannelWorker::Send(jobs::JobContext& ctx) {
  auto& tx = ctx.tx;
  const std::int64_t id = ctx.job.payload.value("message_id", std::int64_t{0});
  auto m = tx.Exec(
      "SELECT m.text, m.payload::text, m.status, c.external_chat_id, c.integration_id::text, "
      "coalesce(extract(epoch FROM c.last_inbound_at)::bigint, 0) FROM messages m JOIN "
      "conversations c ON c.id = m.conversation_id WHERE m.id = $1 FOR UPDATE OF m",
      id);
  if (m.Empty() || m.Text(0, 2) != "pending") return;  // sent by an earlier attempt
  const auto integration = integrations::IntegrationRepository().Find(tx, m.Text(0, 4));
  auto fail = [&](const std::string& why) {
    tx.Exec("UPDATE messages SET status = 'failed', error = left($2, 1000) WHERE id = $1", id, why);
    if (integration) integrations::IntegrationRepository().RecordError(tx, integration->id, why);
    spdlog::warn("channels: message {} not sent: {}", id, why);
  };
  if (!integration || (integration->status != "active" && integration->status != "error")) {
    fail("the integration is " + (integration ? integration->status : std::string("gone")));
    return;
  }
  const json payload = json::parse(m.Text(0, 1));
  json request = {
      {"chat_id", m.Text(0, 3)}, {"text", m.Text(0, 0)}, {"customer_last_message_at", m.Int(0, 5)}};
  if (payload.contains("keyboard")) request["keyboard"] = payload["keyboard"];
  const auto inst = runtime_.Instance(*integration);
  // The provider call and our record of it cannot share a transaction: a crash between
  // the two resends this one message on retry (providers offer no idempotency key for it).
  const auto out = inst->Send(request.dump());
  if (out.ok()) {
    const auto r = json::parse(out.output, nullptr, false);
    tx.Exec(
        "UPDATE messages SET status = 'sent', external_id = left($2, 255), sent_at = now() WHERE "
        "id = $1",
        id, r.is_object() ? plugins::TextOf(r, "message_id") : "");
    integrations::IntegrationRepository().AddSent(tx, integration->id);
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
