#include "channels/conversation_repository.hpp"

namespace sloth::channels {
namespace {

constexpr const char* kSummaryColumns =
    "id, source, integration_id::text AS integration_id, external_chat_id, customer_name, "
    "customer_language, message_count, public.rfc3339(last_message_at) AS last_message_at, "
    "public.rfc3339(created_at) AS created_at, (SELECT left(text, 200) FROM messages m WHERE "
    "m.conversation_id = c.id ORDER BY id DESC LIMIT 1) AS last_message";

ConversationSummary ReadSummary(const db::Row& r) {
  ConversationSummary c;
  c.id = r.Int("id");
  c.source = r.Text("source");
  c.integration_id = r.OptText("integration_id");
  c.external_chat_id = r.OptText("external_chat_id");
  c.customer_name = r.OptText("customer_name");
  c.customer_language = r.OptText("customer_language");
  c.message_count = r.Int("message_count");
  c.last_message_at = r.OptText("last_message_at");
  c.created_at = r.Text("created_at");
  c.last_message = r.OptText("last_message");
  return c;
}

}  // namespace

std::optional<std::int64_t> ConversationRepository::InsertEvent(
    db::Transaction& tx, const std::string& integration_id, const std::string& external_id,
    const std::string& chat_id, const std::string& type, const nlohmann::json& payload) {
  auto r = tx.Exec(
      "INSERT INTO inbound_events (integration_id, external_id, chat_id, type, payload) "
      "VALUES ($1::uuid, $2, $3, $4, $5::jsonb) ON CONFLICT (integration_id, external_id) DO "
      "NOTHING RETURNING id",
      integration_id, external_id, chat_id, type, payload.dump());
  if (r.Empty()) return std::nullopt;
  return r.Int(0, 0);
}

std::vector<InboundEvent> ConversationRepository::LockPendingEvents(
    db::Transaction& tx, const std::string& integration_id, const std::string& chat_id, int limit) {
  auto r = tx.Exec(
      "SELECT id, type, payload::text AS payload FROM inbound_events WHERE integration_id = "
      "$1::uuid AND chat_id = $2 AND processed_at IS NULL ORDER BY id LIMIT $3 FOR UPDATE SKIP "
      "LOCKED",
      integration_id, chat_id, limit);
  std::vector<InboundEvent> out;
  for (int i = 0; i < r.Rows(); ++i) {
    const auto row = r.At(i);
    out.push_back({row.Int("id"), row.Text("type"), nlohmann::json::parse(row.Text("payload"))});
  }
  return out;
}

void ConversationRepository::MarkEventsProcessed(db::Transaction& tx,
                                                 const std::vector<std::int64_t>& ids) {
  tx.Exec("UPDATE inbound_events SET processed_at = now() WHERE id = ANY ($1::bigint[])", ids);
}

std::int64_t ConversationRepository::OpenConversation(
    db::Transaction& tx, const std::string& source, const std::string& integration_id,
    const std::string& chat_id, const std::string& customer_name,
    const std::string& customer_language, bool& created) {
  auto r = tx.Exec(
      "INSERT INTO conversations (source, integration_id, external_chat_id, customer_name, "
      "customer_language) VALUES ($1, $2::uuid, $3, nullif(left($4, 200), ''), nullif(left($5, "
      "16), '')) ON CONFLICT (integration_id, external_chat_id) DO NOTHING RETURNING id",
      source, integration_id, chat_id, customer_name, customer_language);
  created = !r.Empty();
  if (created) return r.Int(0, 0);
  return tx
      .Exec(
          "SELECT id FROM conversations WHERE integration_id = $1::uuid AND external_chat_id = $2",
          integration_id, chat_id)
      .Int(0, 0);
}

void ConversationRepository::AddInbound(db::Transaction& tx, std::int64_t conversation,
                                        const std::string& text, const nlohmann::json& payload,
                                        const std::string& external_id) {
  tx.Exec(
      "INSERT INTO messages (conversation_id, direction, text, payload, external_id, status) "
      "VALUES ($1, 'in', left($2, 65536), $3::jsonb, left($4, 255), 'received')",
      conversation, text, payload.dump(), external_id);
}

void ConversationRepository::NoteInbound(db::Transaction& tx, std::int64_t conversation, int n) {
  tx.Exec(
      "UPDATE conversations SET message_count = message_count + $2, last_message_at = now(), "
      "last_inbound_at = now() WHERE id = $1",
      conversation, n);
}

std::int64_t ConversationRepository::AddOutbound(db::Transaction& tx, std::int64_t conversation,
                                                 const std::string& text) {
  auto out = tx.Exec(
      "INSERT INTO messages (conversation_id, direction, text, status) VALUES ($1, 'out', $2, "
      "'pending') RETURNING id",
      conversation, text);
  tx.Exec(
      "UPDATE conversations SET message_count = message_count + 1, last_message_at = now() WHERE "
      "id = $1",
      conversation);
  return out.Int(0, 0);
}

std::optional<Outbound> ConversationRepository::FindOutbound(db::Transaction& tx,
                                                             std::int64_t message_id) {
  auto r = tx.Exec(
      "SELECT m.text, m.payload::text AS payload, m.status, c.external_chat_id, "
      "c.integration_id::text AS integration_id, coalesce(extract(epoch FROM "
      "c.last_inbound_at)::bigint, 0) AS last_inbound_at FROM messages m JOIN conversations c ON "
      "c.id = m.conversation_id WHERE m.id = $1 AND m.direction = 'out'",
      message_id);
  if (r.Empty()) return std::nullopt;
  const auto row = r.At(0);
  Outbound o;
  o.text = row.Text("text");
  o.payload =
      row.IsNull("payload") ? nlohmann::json::object() : nlohmann::json::parse(row.Text("payload"));
  if (!o.payload.is_object()) o.payload = nlohmann::json::object();
  o.status = row.Text("status");
  o.chat_id = row.Text("external_chat_id");
  o.integration_id = row.Text("integration_id");
  o.last_inbound_at = row.Int("last_inbound_at");
  return o;
}

bool ConversationRepository::MarkSent(db::Transaction& tx, std::int64_t message_id,
                                      const std::string& external_id) {
  return tx.Exec(
               "UPDATE messages SET status = 'sent', external_id = left($2, 255), sent_at = "
               "now() WHERE id = $1 AND status = 'pending'",
               message_id, external_id)
             .Affected() > 0;
}

bool ConversationRepository::MarkFailed(db::Transaction& tx, std::int64_t message_id,
                                        const std::string& error) {
  return tx.Exec(
               "UPDATE messages SET status = 'failed', error = left($2, 1000) WHERE id = $1 AND "
               "status = 'pending'",
               message_id, error)
             .Affected() > 0;
}

void ConversationRepository::ApplyDeliveryStatus(db::Transaction& tx,
                                                 const std::string& external_id,
                                                 const std::string& status,
                                                 const std::string& error) {
  // Statuses only move forward (read after delivered arrives out of order too).
  tx.Exec(
      "UPDATE messages SET status = $2, error = CASE WHEN $2 = 'failed' THEN left($3, 1000) "
      "ELSE error END WHERE external_id = $1 AND direction = 'out' AND "
      "array_position(ARRAY['pending','sent','delivered','read'], status) <= "
      "coalesce(array_position(ARRAY['pending','sent','delivered','read'], $2), 5)",
      external_id, status, error);
}

std::vector<ConversationSummary> ConversationRepository::List(
    db::Transaction& tx, const std::optional<std::string>& source, std::int64_t after, int limit) {
  auto r = tx.Exec(std::string("SELECT ") + kSummaryColumns +
                       " FROM conversations c WHERE ($1::text IS NULL OR source = $1) AND "
                       "($2::bigint = 0 OR id < $2) ORDER BY id DESC LIMIT $3",
                   source, after, limit);
  std::vector<ConversationSummary> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back(ReadSummary(r.At(i)));
  return out;
}

std::optional<ConversationSummary> ConversationRepository::Find(db::Transaction& tx,
                                                                std::int64_t id) {
  auto r =
      tx.Exec(std::string("SELECT ") + kSummaryColumns + " FROM conversations c WHERE id = $1", id);
  if (r.Empty()) return std::nullopt;
  return ReadSummary(r.At(0));
}

std::vector<MessageRecord> ConversationRepository::Messages(db::Transaction& tx,
                                                            std::int64_t conversation,
                                                            std::int64_t after, int limit) {
  auto r = tx.Exec(
      "SELECT id, direction, text, status, error, public.rfc3339(created_at) AS created_at, "
      "public.rfc3339(sent_at) AS sent_at FROM messages WHERE conversation_id = $1 AND id > $2 "
      "ORDER BY id LIMIT $3",
      conversation, after, limit);
  std::vector<MessageRecord> out;
  for (int i = 0; i < r.Rows(); ++i) {
    const auto row = r.At(i);
    out.push_back({row.Int("id"), row.Text("direction"), row.OptText("text"), row.Text("status"),
                   row.OptText("error"), row.Text("created_at"), row.OptText("sent_at")});
  }
  return out;
}

}  // namespace sloth::channels
