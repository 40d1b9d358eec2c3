#include "conversations/conversation_json.hpp"

namespace sloth::conversations {
namespace {

using json = nlohmann::json;

template <typename T>
json Opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

}  // namespace

json SummaryJson(const ConversationSummary& c) {
  return {{"id", c.id},
          {"source", c.source},
          {"integration_id", Opt(c.integration_id)},
          {"external_chat_id", Opt(c.external_chat_id)},
          {"customer_name", Opt(c.customer_name)},
          {"customer_language", Opt(c.customer_language)},
          {"message_count", c.message_count},
          {"last_message_at", Opt(c.last_message_at)},
          {"created_at", c.created_at},
          {"last_message", Opt(c.last_message)},
          {"mode", c.mode},
          {"summary", Opt(c.summary)}};
}

json MessageJson(const MessageRecord& m) {
  json j = {{"id", m.id},
            {"direction", m.direction},
            {"author", m.author},
            {"text", Opt(m.text)},
            {"status", m.status},
            {"error", Opt(m.error)},
            {"created_at", m.created_at},
            {"sent_at", Opt(m.sent_at)}};
  if (m.author == "agent") {
    j["language"] = Opt(m.language);
    j["intent"] = Opt(m.intent);
    j["model"] = Opt(m.model);
    j["tokens_in"] = Opt(m.tokens_in);
    j["tokens_out"] = Opt(m.tokens_out);
    j["processing_ms"] = Opt(m.processing_ms);
    j["sources"] = m.sources.is_null() ? json::array() : m.sources;
    j["tools"] = m.tools.is_null() ? json::array() : m.tools;
  }
  return j;
}

}  // namespace sloth::conversations
