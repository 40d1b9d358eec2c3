#pragma once

// The SQL of conversations, their messages and the inbound events they come from (tenant
// schema, migrations/tenant/0002_conversations.sql, 0007_agent.sql). The channel pipeline
// (Inbound, ChannelWorker), the agent (history, memory, replies) and the conversation routes
// call it; none of them writes SQL of its own.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/pool.hpp"

namespace sloth::conversations {

struct InboundEvent {
  std::int64_t id = 0;
  std::string type;  // message | edited | callback | status
  nlohmann::json payload;
};

struct ConversationSummary {
  std::int64_t id = 0;
  std::string source;
  std::optional<std::string> integration_id;
  std::optional<std::string> external_chat_id;
  std::optional<std::string> customer_name;
  std::optional<std::string> customer_language;
  std::int64_t message_count = 0;
  std::optional<std::string> last_message_at;
  std::string created_at;
  std::optional<std::string> last_message;  // its first 200 characters
  std::string mode = "agent";               // agent | human (after a handoff)
  std::optional<std::string> summary;
};

struct MessageRecord {
  std::int64_t id = 0;
  std::string direction;  // in | out
  std::optional<std::string> text;
  std::string status;
  std::optional<std::string> error;
  std::string created_at;
  std::optional<std::string> sent_at;
  std::string author;  // client | agent | staff | system
  // What an agent's reply was made from (null for other messages).
  std::optional<std::string> language, intent, model;
  std::optional<std::int64_t> tokens_in, tokens_out, processing_ms;
  nlohmann::json sources, tools;
};

// A message to store on a conversation's outbound side.
struct NewOutbound {
  std::string text;
  std::string author = "agent";    // agent | staff | system
  std::string status = "pending";  // pending (a channel will send it) | sent (the web chat)
  nlohmann::json payload = nlohmann::json::object();
  std::optional<std::int64_t> reply_to;  // the last client message it answers
  std::optional<std::string> language, intent, model;
  std::optional<std::int64_t> tokens_in, tokens_out, processing_ms;
  nlohmann::json sources, tools;  // null when none
};

// One line of the dialogue as the model reads it.
struct DialogueLine {
  std::int64_t id = 0;
  std::string author;  // client | agent | staff | system
  std::string text;
};

// What the agent remembers of a conversation: its summary, then the lines after it.
struct Memory {
  std::optional<std::string> summary;
  std::vector<DialogueLine> recent;  // oldest first
  std::string mode = "agent";
  std::string source;
  std::optional<std::string> external_chat_id, customer_language, customer_name;
  nlohmann::json pending_action;  // null, or {tool, arguments} waiting for the client's yes
};

// A conversation due for a summary: what is summarised so far and the lines since.
struct SummaryWork {
  std::int64_t conversation_id = 0;
  std::optional<std::string> summary;
  std::vector<DialogueLine> lines;  // after summary_upto, oldest first
};

// An outbound message with what sending it needs.
struct Outbound {
  std::string text;
  nlohmann::json payload;  // keyboard and the like; an object
  std::string status;
  std::string chat_id;
  std::string integration_id;
  std::int64_t last_inbound_at = 0;  // epoch seconds; 0 when the client never wrote
};

// A photo a client sent, as its inbound event keeps it.
struct StoredMedia {
  std::int64_t event_id = 0;
  std::string storage_key;
  std::uint64_t size_bytes = 0;
};

class ConversationRepository {
 public:
  // Photos received more than `days` ago and still stored, oldest first.
  std::vector<StoredMedia> ExpiredMedia(db::Transaction& tx, int days, int limit);
  // Drops the storage keys of these events' photos (and of the messages made from them),
  // marking them expired.
  void ForgetMedia(db::Transaction& tx, const std::vector<std::int64_t>& event_ids);

  // Inbound events. Stores them with one statement; for each, its new id, or nullopt when
  // (integration, external id) was already stored (a redelivery). Keys must be distinct.
  struct NewEvent {
    std::string integration_id;
    std::string external_id;
    std::string chat_id;
    std::string type;
    std::string payload;  // JSON text
  };
  std::vector<std::optional<std::int64_t>> InsertEvents(db::Transaction& tx,
                                                        const std::vector<NewEvent>& events);
  // The chat's unprocessed events, oldest first, locked (SKIP LOCKED) for this transaction.
  db::Query<std::vector<InboundEvent>> LockPendingEventsQuery(const std::string& integration_id,
                                                              const std::string& chat_id,
                                                              int limit);
  void MarkEventsProcessed(db::Transaction& tx, const std::vector<std::int64_t>& ids);
  db::Query<std::int64_t> MarkEventsProcessedQuery(const std::vector<std::int64_t>& ids);

  // The conversation of a chat, created when new (`created` says which).
  std::int64_t OpenConversation(db::Transaction& tx, const std::string& source,
                                const std::string& integration_id, const std::string& chat_id,
                                const std::string& customer_name,
                                const std::string& customer_language, bool& created);
  // A web conversation (POST /api/agent/chat) of the signed-in user.
  std::int64_t OpenWeb(db::Transaction& tx, std::int64_t user_id, const std::string& language);
  std::int64_t AddInbound(db::Transaction& tx, std::int64_t conversation, const std::string& text,
                          const nlohmann::json& payload, const std::string& external_id);
  // Counts `n` new client messages (and the time of the last) on the conversation.
  void NoteInbound(db::Transaction& tx, std::int64_t conversation, int n);
  db::Query<std::int64_t> NoteInboundQuery(std::int64_t conversation, int n);
  // Stores an outbound message and returns its id; nullopt when a message answering the same
  // `reply_to` is already stored (a repeated answer job).
  std::optional<std::int64_t> AddOutbound(db::Transaction& tx, std::int64_t conversation,
                                          const NewOutbound& message);
  // Whether the client message `id` already has its answer.
  bool Answered(db::Transaction& tx, std::int64_t id);
  // The answer to client message `id` (at most one is stored), and whether it still waits to
  // be sent.
  struct Reply {
    std::int64_t id = 0;
    bool pending = false;
  };
  std::optional<Reply> ReplyTo(db::Transaction& tx, std::int64_t id);
  db::Query<std::optional<Reply>> ReplyToQuery(std::int64_t id);

  // The summary and the last `limit` lines before message `before` (0: up to the newest).
  db::Query<std::optional<Memory>> ReadMemoryQuery(std::int64_t conversation, std::int64_t before,
                                                   int limit);
  // The action the assistant asked the client to confirm (null clears it).
  db::Query<std::int64_t> SetPendingActionQuery(std::int64_t conversation,
                                                const nlohmann::json& action);
  // agent | human; false when there is no such conversation.
  bool SetMode(db::Transaction& tx, std::int64_t conversation, const std::string& mode);
  // Conversations idle since `idle_hours` with lines their summary does not cover yet.
  std::vector<SummaryWork> DueForSummary(db::Transaction& tx, int idle_hours, int limit,
                                         int max_lines);
  void SaveSummary(db::Transaction& tx, std::int64_t conversation, const std::string& summary,
                   std::int64_t upto);

  std::optional<Outbound> FindOutbound(db::Transaction& tx, std::int64_t message_id);
  db::Query<std::optional<Outbound>> FindOutboundQuery(std::int64_t message_id);
  // Marks a pending message sent; false when it was not pending any more.
  bool MarkSent(db::Transaction& tx, std::int64_t message_id, const std::string& external_id);
  bool MarkFailed(db::Transaction& tx, std::int64_t message_id, const std::string& error);
  // A provider's delivery status for one of our sent messages; statuses only move forward.
  void ApplyDeliveryStatus(db::Transaction& tx, const std::string& external_id,
                           const std::string& status, const std::string& error);

  // Newest first; `after` is the last id seen (0: from the newest).
  // `mode`: agent | human, or any when nullopt.
  std::vector<ConversationSummary> List(db::Transaction& tx,
                                        const std::optional<std::string>& source,
                                        std::int64_t after, int limit,
                                        const std::optional<std::string>& mode = std::nullopt);
  std::optional<ConversationSummary> Find(db::Transaction& tx, std::int64_t id);
  db::Query<std::optional<ConversationSummary>> FindQuery(std::int64_t id);
  // The language the client was last answered in (the router's), else the one their
  // channel reported; nullopt when neither is known.
  std::optional<std::string> LastLanguage(db::Transaction& tx, std::int64_t conversation);
  // When the client last wrote (epoch seconds; 0 when never): WhatsApp's 24-hour window.
  std::int64_t LastInboundAt(db::Transaction& tx, std::int64_t conversation);
  // Oldest first, after message id `after`.
  std::vector<MessageRecord> Messages(db::Transaction& tx, std::int64_t conversation,
                                      std::int64_t after, int limit);
};

}  // namespace sloth::conversations
