#pragma once

// Conversations and messages as the REST API shows them (GET /api/conversations...,
// GET /api/agent/history...): one rendering for both.

#include <nlohmann/json.hpp>

#include "conversations/conversation_repository.hpp"

namespace sloth::conversations {

nlohmann::json SummaryJson(const ConversationSummary& c);
// An agent's reply carries what it was made from: language, intent, model, tokens,
// processing time, sources and tools.
nlohmann::json MessageJson(const MessageRecord& m);

}  // namespace sloth::conversations
