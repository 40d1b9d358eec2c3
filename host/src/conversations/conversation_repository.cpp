#include "conversations/conversation_repository.hpp"

#include <map>
#include <utility>

namespace sloth::conversations {
namespace {

constexpr const char* kSummaryColumns =
    "id, source, integration_id::text AS integration_id, external_chat_id, customer_name, "
    "customer_language, message_count, public.rfc3339(last_message_at) AS last_message_at, "
    "public.rfc3339(created_at) AS created_at, (SELECT left(text, 200) FROM messages m WHERE "
    "m.conversation_id = c.id ORDER BY id DESC LIMIT 1) AS last_message, mode, summary";

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
  c.mode = r.Text("mode");
  c.summary = r.OptText("summary");
  return c;
}

}  // namespace

std::vector<StoredMedia> ConversationRepository::ExpiredMedia(db::Transaction& tx, int days,
                                                              int limit) {
  auto r = tx.Exec(
      "SELECT id, payload->'photo'->>'storage_key', coalesce((payload->'photo'->>'size')::bigint, "
      "0) FROM inbound_events WHERE payload->'photo' ? 'storage_key' AND received_at < now() - "
      "make_interval(days => $1) ORDER BY id LIMIT $2",
      days, limit);
  std::vector<StoredMedia> out;
  for (int i = 0; i < r.Rows(); ++i)
    out.push_back({r.Int(i, 0), r.Text(i, 1), static_cast<std::uint64_t>(r.Int(i, 2))});
  return out;
}

void ConversationRepository::ForgetMedia(db::Transaction& tx,
                                         const std::vector<std::int64_t>& event_ids) {
  if (event_ids.empty()) return;
  std::string ids = "{";
  for (std::size_t i = 0; i < event_ids.size(); ++i)
    ids += (i ? "," : "") + std::to_string(event_ids[i]);
  ids += "}";
  // A message made from an event carries the event's payload: its photo too.
  tx.Exec(
      "WITH old AS (SELECT id, payload->'photo'->>'storage_key' AS key FROM inbound_events "
      "WHERE id = ANY($1::bigint[])), events AS (UPDATE inbound_events e SET payload = "
      "jsonb_set(e.payload, '{photo}', (e.payload->'photo') - 'storage_key' || "
      "'{\"expired\": true}') FROM old WHERE e.id = old.id) "
      "UPDATE messages SET payload = jsonb_set(payload, '{photo}', (payload->'photo') - "
      "'storage_key' || '{\"expired\": true}') WHERE payload->'photo'->>'storage_key' IN "
      "(SELECT key FROM old)",
      ids);
}

std::vector<std::optional<std::int64_t>> ConversationRepository::InsertEvents(
    db::Transaction& tx, const std::vector<NewEvent>& events) {
  std::vector<std::optional<std::int64_t>> out(events.size());
  if (events.empty()) return out;
  std::vector<std::string> integrations, ids, chats, types, payloads;
  for (const auto& e : events) {
    integrations.push_back(e.integration_id);
    ids.push_back(e.external_id);
    chats.push_back(e.chat_id);
    types.push_back(e.type);
    payloads.push_back(e.payload);
  }
  // WITH ORDINALITY numbers the rows so each id comes back to its event; a redelivery
  // returns no row.
  auto r = tx.Exec(
      "INSERT INTO inbound_events (integration_id, external_id, chat_id, type, payload) "
      "SELECT i::uuid, x, c, t, p::jsonb FROM unnest($1::text[], $2::text[], $3::text[], "
      "$4::text[], $5::text[]) WITH ORDINALITY AS e(i, x, c, t, p, n) ORDER BY n "
      "ON CONFLICT (integration_id, external_id) DO NOTHING RETURNING id, integration_id::text AS "
      "integration_id, "
      "external_id",
      integrations, ids, chats, types, payloads);
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  for (std::size_t i = 0; i < events.size(); ++i)
    index[{events[i].integration_id, events[i].external_id}] = i;
  for (int i = 0; i < r.Rows(); ++i) {
    const auto row = r.At(i);
    const auto it = index.find({row.Text("integration_id"), row.Text("external_id")});
    if (it != index.end()) out[it->second] = row.Int("id");
  }
  return out;
}

db::Query<std::vector<InboundEvent>> ConversationRepository::LockPendingEventsQuery(
    const std::string& integration_id, const std::string& chat_id, int limit) {
  return db::MakeQuery<std::vector<InboundEvent>>(
      [](const db::Result& r) {
        std::vector<InboundEvent> out;
        for (int i = 0; i < r.Rows(); ++i) {
          const auto row = r.At(i);
          out.push_back(
              {row.Int("id"), row.Text("type"), nlohmann::json::parse(row.Text("payload"))});
        }
        return out;
      },
      "SELECT id, type, payload::text AS payload FROM inbound_events WHERE integration_id = "
      "$1::uuid AND chat_id = $2 AND processed_at IS NULL ORDER BY id LIMIT $3 FOR UPDATE SKIP "
      "LOCKED",
      integration_id, chat_id, limit);
}

void ConversationRepository::MarkEventsProcessed(db::Transaction& tx,
                                                 const std::vector<std::int64_t>& ids) {
  tx.Exec(MarkEventsProcessedQuery(ids));
}

db::Query<std::int64_t> ConversationRepository::MarkEventsProcessedQuery(
    const std::vector<std::int64_t>& ids) {
  return db::MakeQuery<std::int64_t>(
      [](const db::Result& r) { return r.Affected(); },
      "UPDATE inbound_events SET processed_at = now() WHERE id = ANY ($1::bigint[])", ids);
}

std::int64_t ConversationRepository::OpenConversation(
    db::Transaction& tx, const std::string& source, const std::string& integration_id,
    const std::string& chat_id, const std::string& customer_name,
    const std::string& customer_language, bool& created) {
  // A returning client's conversation is found by the same statement (one round trip). Only
  // when another transaction created it after this statement's snapshot was taken does the
  // statement see neither its own insert nor that row: then it is read again.
  auto r = tx.Exec(
      "WITH added AS (INSERT INTO conversations (source, integration_id, external_chat_id, "
      "customer_name, customer_language) VALUES ($1, $2::uuid, $3, nullif(left($4, 200), ''), "
      "nullif(left($5, 16), '')) ON CONFLICT (integration_id, external_chat_id) DO NOTHING "
      "RETURNING id) SELECT id, true AS created FROM added UNION ALL SELECT id, false FROM "
      "conversations WHERE integration_id = $2::uuid AND external_chat_id = $3 AND NOT EXISTS "
      "(SELECT 1 FROM added)",
      source, integration_id, chat_id, customer_name, customer_language);
  if (r.Empty()) {
    r = tx.Exec(
        "SELECT id, false AS created FROM conversations WHERE integration_id = $1::uuid AND "
        "external_chat_id = $2",
        integration_id, chat_id);
  }
  created = r.Bool(0, 1);
  return r.Int(0, 0);
}

std::int64_t ConversationRepository::OpenWeb(db::Transaction& tx, std::int64_t user_id,
                                             const std::string& language) {
  return tx
      .Exec(
          "INSERT INTO conversations (source, user_id, customer_language) VALUES ('web', $1, "
          "nullif(left($2, 16), '')) RETURNING id",
          user_id, language)
      .Int(0, 0);
}

std::int64_t ConversationRepository::AddInbound(db::Transaction& tx, std::int64_t conversation,
                                                const std::string& text,
                                                const nlohmann::json& payload,
                                                const std::string& external_id) {
  return tx
      .Exec(
          "INSERT INTO messages (conversation_id, direction, author, text, payload, external_id, "
          "status) VALUES ($1, 'in', 'client', left($2, 65536), $3::jsonb, nullif(left($4, 255), "
          "''), 'received') RETURNING id",
          conversation, text, payload.dump(), external_id)
      .Int(0, 0);
}

void ConversationRepository::NoteInbound(db::Transaction& tx, std::int64_t conversation, int n) {
  tx.Exec(NoteInboundQuery(conversation, n));
}

db::Query<std::int64_t> ConversationRepository::NoteInboundQuery(std::int64_t conversation, int n) {
  return db::MakeQuery<std::int64_t>(
      [](const db::Result& r) { return r.Affected(); },
      "UPDATE conversations SET message_count = message_count + $2, last_message_at = now(), "
      "last_inbound_at = now() WHERE id = $1",
      conversation, n);
}

std::optional<std::int64_t> ConversationRepository::AddOutbound(db::Transaction& tx,
                                                                std::int64_t conversation,
                                                                const NewOutbound& m) {
  auto json_or_null = [](const nlohmann::json& j) {
    return j.is_null() ? std::optional<std::string>() : std::optional<std::string>(j.dump());
  };
  // The message and the conversation's count in one statement; a reply already stored (the
  // same reply_to) adds neither.
  auto out = tx.Exec(
      "WITH added AS (INSERT INTO messages (conversation_id, direction, author, text, payload, "
      "status, sent_at, reply_to, language, intent, model, tokens_in, tokens_out, processing_ms, "
      "sources, tools) VALUES ($1, 'out', $2, left($3, 65536), $4::jsonb, $5, CASE WHEN $5 = "
      "'sent' THEN now() END, $6, $7, $8, left($9, 200), $10, $11, $12, $13::jsonb, $14::jsonb) "
      "ON CONFLICT (reply_to) WHERE reply_to IS NOT NULL DO NOTHING RETURNING id), "
      "counted AS (UPDATE conversations SET message_count = message_count + 1, last_message_at = "
      "now() WHERE id = $1 AND EXISTS (SELECT 1 FROM added)) SELECT id FROM added",
      conversation, m.author, m.text, m.payload.dump(), m.status, m.reply_to, m.language, m.intent,
      m.model, m.tokens_in, m.tokens_out, m.processing_ms, json_or_null(m.sources),
      json_or_null(m.tools));
  if (out.Empty()) return std::nullopt;
  return out.Int(0, 0);
}

bool ConversationRepository::Answered(db::Transaction& tx, std::int64_t id) {
  return ReplyTo(tx, id).has_value();
}

std::optional<ConversationRepository::Reply> ConversationRepository::ReplyTo(db::Transaction& tx,
                                                                             std::int64_t id) {
  return tx.Exec(ReplyToQuery(id));
}

db::Query<std::optional<ConversationRepository::Reply>> ConversationRepository::ReplyToQuery(
    std::int64_t id) {
  return db::MakeQuery<std::optional<Reply>>(
      [](const db::Result& r) {
        return r.Empty() ? std::nullopt : std::optional(Reply{r.Int(0, 0), r.Bool(0, 1)});
      },
      "SELECT id, direction = 'out' AND status = 'pending' AS pending FROM messages WHERE "
      "reply_to = $1",
      id);
}

db::Query<std::optional<Memory>> ConversationRepository::ReadMemoryQuery(std::int64_t conversation,
                                                                         std::int64_t before,
                                                                         int limit) {
  // One statement (the lines after the summary, as a JSON array), so that the agent reads
  // its whole turn's input in one round trip.
  return db::MakeQuery<std::optional<Memory>>(
      [](const db::Result& c) -> std::optional<Memory> {
        if (c.Empty()) return std::nullopt;
        const auto row = c.At(0);
        Memory m;
        m.summary = row.OptText("summary");
        m.mode = row.Text("mode");
        m.source = row.Text("source");
        m.external_chat_id = row.OptText("external_chat_id");
        m.customer_language = row.OptText("customer_language");
        m.customer_name = row.OptText("customer_name");
        if (!row.IsNull("pending_action"))
          m.pending_action = nlohmann::json::parse(row.Text("pending_action"));
        for (const auto& line : nlohmann::json::parse(row.Text("recent"))) {
          m.recent.push_back({line.at("id").get<std::int64_t>(),
                              line.at("author").get<std::string>(),
                              line.at("text").get<std::string>()});
        }
        return m;
      },
      "SELECT summary, mode, source, external_chat_id, customer_language, customer_name, "
      "pending_action::text AS pending_action, (SELECT coalesce(json_agg(json_build_object("
      "'id', id, 'author', author, 'text', text) ORDER BY id), '[]')::text FROM (SELECT id, "
      "author, text FROM messages WHERE conversation_id = c.id AND id > coalesce(c.summary_upto, "
      "0) AND ($2 = 0 OR id < $2) AND text IS NOT NULL AND author <> 'system' ORDER BY id DESC "
      "LIMIT $3) t) AS recent FROM conversations c WHERE id = $1",
      conversation, before, limit);
}

db::Query<std::int64_t> ConversationRepository::SetPendingActionQuery(
    std::int64_t conversation, const nlohmann::json& action) {
  return db::MakeQuery<std::int64_t>(
      [](const db::Result& r) { return r.Affected(); },
      "UPDATE conversations SET pending_action = $2::jsonb WHERE id = $1", conversation,
      action.is_null() ? std::optional<std::string>() : std::optional<std::string>(action.dump()));
}

bool ConversationRepository::SetMode(db::Transaction& tx, std::int64_t conversation,
                                     const std::string& mode) {
  return tx.Exec("UPDATE conversations SET mode = $2 WHERE id = $1", conversation, mode)
             .Affected() > 0;
}

std::vector<SummaryWork> ConversationRepository::DueForSummary(db::Transaction& tx, int idle_hours,
                                                               int limit, int max_lines) {
  auto r = tx.Exec(
      "SELECT c.id, c.summary, coalesce(c.summary_upto, 0) AS upto FROM conversations c WHERE "
      "c.last_message_at < now() - make_interval(hours => $1) AND EXISTS (SELECT 1 FROM messages "
      "m WHERE m.conversation_id = c.id AND m.id > coalesce(c.summary_upto, 0) AND m.text IS NOT "
      "NULL) ORDER BY c.last_message_at LIMIT $2",
      idle_hours, limit);
  std::vector<SummaryWork> out;
  for (int i = 0; i < r.Rows(); ++i) {
    const auto row = r.At(i);
    SummaryWork w;
    w.conversation_id = row.Int("id");
    w.summary = row.OptText("summary");
    auto lines = tx.Exec(
        "SELECT id, author, text FROM messages WHERE conversation_id = $1 AND id > $2 AND text IS "
        "NOT NULL ORDER BY id LIMIT $3",
        w.conversation_id, row.Int("upto"), max_lines);
    for (int j = 0; j < lines.Rows(); ++j) {
      const auto l = lines.At(j);
      w.lines.push_back({l.Int("id"), l.Text("author"), l.Text("text")});
    }
    out.push_back(std::move(w));
  }
  return out;
}

void ConversationRepository::SaveSummary(db::Transaction& tx, std::int64_t conversation,
                                         const std::string& summary, std::int64_t upto) {
  // Only forward: a slower, older summary never replaces a newer one.
  tx.Exec(
      "UPDATE conversations SET summary = left($2, 8000), summary_upto = $3 WHERE id = $1 AND "
      "coalesce(summary_upto, 0) < $3",
      conversation, summary, upto);
}

std::optional<Outbound> ConversationRepository::FindOutbound(db::Transaction& tx,
                                                             std::int64_t message_id) {
  return tx.Exec(FindOutboundQuery(message_id));
}

db::Query<std::optional<Outbound>> ConversationRepository::FindOutboundQuery(
    std::int64_t message_id) {
  return db::MakeQuery<std::optional<Outbound>>(
      [](const db::Result& r) -> std::optional<Outbound> {
        if (r.Empty()) return std::nullopt;
        const auto row = r.At(0);
        Outbound o;
        o.text = row.Text("text");
        o.payload = row.IsNull("payload") ? nlohmann::json::object()
                                          : nlohmann::json::parse(row.Text("payload"));
        if (!o.payload.is_object()) o.payload = nlohmann::json::object();
        o.status = row.Text("status");
        o.chat_id = row.Text("external_chat_id");
        o.integration_id = row.Text("integration_id");
        o.last_inbound_at = row.Int("last_inbound_at");
        return o;
      },
      "SELECT m.text, m.payload::text AS payload, m.status, c.external_chat_id, "
      "c.integration_id::text AS integration_id, coalesce(extract(epoch FROM "
      "c.last_inbound_at)::bigint, 0) AS last_inbound_at FROM messages m JOIN conversations c ON "
      "c.id = m.conversation_id WHERE m.id = $1 AND m.direction = 'out'",
      message_id);
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
    db::Transaction& tx, const std::optional<std::string>& source, std::int64_t after, int limit,
    const std::optional<std::string>& mode) {
  auto r = tx.Exec(std::string("SELECT ") + kSummaryColumns +
                       " FROM conversations c WHERE ($1::text IS NULL OR source = $1) AND "
                       "($2::bigint = 0 OR id < $2) AND ($4::text IS NULL OR mode = $4) ORDER BY "
                       "id DESC LIMIT $3",
                   source, after, limit, mode);
  std::vector<ConversationSummary> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back(ReadSummary(r.At(i)));
  return out;
}

std::optional<ConversationSummary> ConversationRepository::Find(db::Transaction& tx,
                                                                std::int64_t id) {
  return tx.Exec(FindQuery(id));
}

db::Query<std::optional<ConversationSummary>> ConversationRepository::FindQuery(std::int64_t id) {
  static const std::string sql =
      std::string("SELECT ") + kSummaryColumns + " FROM conversations c WHERE id = $1";
  return db::MakeQuery<std::optional<ConversationSummary>>(
      [](const db::Result& r) {
        return r.Empty() ? std::nullopt : std::optional(ReadSummary(r.At(0)));
      },
      sql, id);
}

std::vector<MessageRecord> ConversationRepository::Messages(db::Transaction& tx,
                                                            std::int64_t conversation,
                                                            std::int64_t after, int limit) {
  auto r = tx.Exec(
      "SELECT id, direction, text, status, error, public.rfc3339(created_at) AS created_at, "
      "public.rfc3339(sent_at) AS sent_at, author, language, intent, model, tokens_in, "
      "tokens_out, processing_ms, sources::text AS sources, tools::text AS tools FROM messages "
      "WHERE conversation_id = $1 AND id > $2 ORDER BY id LIMIT $3",
      conversation, after, limit);
  auto opt_int = [](const db::Row& row, const char* col) {
    return row.IsNull(col) ? std::optional<std::int64_t>() : row.Int(col);
  };
  auto opt_json = [](const db::Row& row, const char* col) {
    return row.IsNull(col) ? nlohmann::json(nullptr) : nlohmann::json::parse(row.Text(col));
  };
  std::vector<MessageRecord> out;
  for (int i = 0; i < r.Rows(); ++i) {
    const auto row = r.At(i);
    MessageRecord m;
    m.id = row.Int("id");
    m.direction = row.Text("direction");
    m.text = row.OptText("text");
    m.status = row.Text("status");
    m.error = row.OptText("error");
    m.created_at = row.Text("created_at");
    m.sent_at = row.OptText("sent_at");
    m.author = row.Text("author");
    m.language = row.OptText("language");
    m.intent = row.OptText("intent");
    m.model = row.OptText("model");
    m.tokens_in = opt_int(row, "tokens_in");
    m.tokens_out = opt_int(row, "tokens_out");
    m.processing_ms = opt_int(row, "processing_ms");
    m.sources = opt_json(row, "sources");
    m.tools = opt_json(row, "tools");
    out.push_back(std::move(m));
  }
  return out;
}

std::optional<std::string> ConversationRepository::LastLanguage(db::Transaction& tx,
                                                                std::int64_t conversation) {
  auto r = tx.Exec(
      "SELECT coalesce((SELECT language FROM messages WHERE conversation_id = $1 AND language "
      "IS NOT NULL ORDER BY id DESC LIMIT 1), (SELECT customer_language FROM conversations "
      "WHERE id = $1))",
      conversation);
  return r.Empty() ? std::nullopt : r.OptText(0, 0);
}

std::int64_t ConversationRepository::LastInboundAt(db::Transaction& tx, std::int64_t conversation) {
  auto r = tx.Exec(
      "SELECT coalesce(extract(epoch FROM last_inbound_at)::bigint, 0) FROM conversations "
      "WHERE id = $1",
      conversation);
  return r.Empty() ? 0 : r.Int(0, 0);
}

}  // namespace sloth::conversations
