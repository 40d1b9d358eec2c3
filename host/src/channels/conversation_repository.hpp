#pragma once

// The SQL of conversations, their messages and the inbound events they come from (tenant
// schema, migrations/tenant/*_channels.sql). The channel pipeline (Inbound, ChannelWorker)
// and the conversation routes call it; none of them writes SQL of its own.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/pool.hpp"

namespace sloth::channels {

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
};

struct MessageRecord {
  std::int64_t id = 0;
  std::string direction;  // in | out
  std::optional<std::string> text;
  std::string status;
  std::optional<std::string> error;
  std::string created_at;
  std::optional<std::string> sent_at;
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

class ConversationRepository {
 public:
  // Inbound events. Stores one; false when (integration, external id) is already stored.
  std::optional<std::int64_t> InsertEvent(db::Transaction& tx, const std::string& integration_id,
                                          const std::string& external_id,
                                          const std::string& chat_id, const std::string& type,
                                          const nlohmann::json& payload);
  // The chat's unprocessed events, oldest first, locked (SKIP LOCKED) for this transaction.
  std::vector<InboundEvent> LockPendingEvents(db::Transaction& tx,
                                              const std::string& integration_id,
                                              const std::string& chat_id, int limit);
  void MarkEventsProcessed(db::Transaction& tx, const std::vector<std::int64_t>& ids);

  // The conversation of a chat, created when new (`created` says which).
  std::int64_t OpenConversation(db::Transaction& tx, const std::string& source,
                                const std::string& integration_id, const std::string& chat_id,
                                const std::string& customer_name,
                                const std::string& customer_language, bool& created);
  void AddInbound(db::Transaction& tx, std::int64_t conversation, const std::string& text,
                  const nlohmann::json& payload, const std::string& external_id);
  // Counts `n` new client messages (and the time of the last) on the conversation.
  void NoteInbound(db::Transaction& tx, std::int64_t conversation, int n);
  // A reply waiting to be sent; returns its id.
  std::int64_t AddOutbound(db::Transaction& tx, std::int64_t conversation, const std::string& text);

  std::optional<Outbound> FindOutbound(db::Transaction& tx, std::int64_t message_id);
  // Marks a pending message sent; false when it was not pending any more.
  bool MarkSent(db::Transaction& tx, std::int64_t message_id, const std::string& external_id);
  bool MarkFailed(db::Transaction& tx, std::int64_t message_id, const std::string& error);
  // A provider's delivery status for one of our sent messages; statuses only move forward.
  void ApplyDeliveryStatus(db::Transaction& tx, const std::string& external_id,
                           const std::string& status, const std::string& error);

  // Newest first; `after` is the last id seen (0: from the newest).
  std::vector<ConversationSummary> List(db::Transaction& tx,
                                        const std::optional<std::string>& source,
                                        std::int64_t after, int limit);
  std::optional<ConversationSummary> Find(db::Transaction& tx, std::int64_t id);
  // Oldest first, after message id `after`.
  std::vector<MessageRecord> Messages(db::Transaction& tx, std::int64_t conversation,
                                      std::int64_t after, int limit);
};

}  // namespace sloth::channels
