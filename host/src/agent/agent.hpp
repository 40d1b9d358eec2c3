#pragma once

// The agent: one turn for every entry point (a channel's answer job, POST /api/agent/chat,
// the sandbox). A turn reads what it needs in one short transaction (the prompt, the
// conversation's summary and recent lines, the salon's profile), then with no transaction
// open: router (language, intent) -> supervisor's topic check -> retrieval within a token
// budget -> the model with the registered tools, up to N tool rounds -> supervisor's reply
// check. The caller stores the result (Record) in its own transaction, so a slow model
// never holds a pooled connection or a row lock.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/agent_config.hpp"
#include "agent/llm.hpp"
#include "agent/prompt.hpp"
#include "agent/tools.hpp"
#include "db/pool.hpp"
#include "jobs/worker_pool.hpp"
#include "knowledge/retriever.hpp"

namespace sloth::agent {

struct TurnRequest {
  std::int64_t tenant = 0;
  std::int64_t conversation_id = 0;    // 0: none (the sandbox)
  std::int64_t before_message_id = 0;  // history: lines before this message (0: all)
  std::string channel = "web";         // the channel plugin, or "web"
  std::string external_id;             // the client on that channel
  std::vector<std::string> messages;   // the client's new messages, oldest first
  std::string language_hint;           // the conversation's language so far
  std::optional<Prompt> draft;         // the sandbox: this prompt instead of the saved one
  bool dry_run = false;                // the sandbox: tools change nothing
};

struct SourceRef {
  std::int64_t chunk_id = 0;
  std::int64_t document_id = 0;
  std::string kind;  // document | photo
  std::string title;
  int page = 0;
};

struct ToolRecord {
  std::string name;
  nlohmann::json arguments;  // as the model sent them (text when not JSON)
  bool ok = true;
  nlohmann::json output;
  std::string error;
};

struct AuditEvent {
  std::string event;  // topic_refused | reply_replaced | llm_failed | handoff
  std::string detail;
};

struct TurnResult {
  std::string reply;
  std::string language;
  std::string intent;
  std::vector<SourceRef> sources;
  std::vector<ToolRecord> tools;
  std::int64_t tokens_in = 0;
  std::int64_t tokens_out = 0;
  std::string model;
  std::int64_t processing_ms = 0;
  bool handoff = false;   // the client asked for a person
  bool fallback = false;  // the reply is the fallback (the model failed, a check failed)
  std::vector<AuditEvent> audit;
  // An action waiting for the client's yes ({tool, arguments}); null: none (a pending one
  // is dropped when the turn is recorded).
  nlohmann::json pending;

  // [{chunk_id, title, page?}] (PRODUCT.md) plus document_id and kind.
  nlohmann::json SourcesJson() const;
  // [{name, arguments, ok, output | error}]
  nlohmann::json ToolsJson() const;
};

struct RecordOptions {
  std::optional<std::int64_t> reply_to;  // the last client message answered
  std::string status = "pending";        // pending: a channel sends it; sent: the web chat
  std::string suffix;                    // appended to the stored text (the watermark)
};

class Agent {
 public:
  Agent(db::Pool& pool, plugins::PluginManager& plugins, knowledge::Retriever& retriever,
        AgentConfig config);

  void Start() { llm_.Start(); }
  void Stop() { llm_.Stop(); }
  // agent.summarize_scan (scheduled) and agent.summarize (per organisation).
  void Register(jobs::WorkerPool& jobs);

  // Concerns add their tools here at composition (booking: list_services, find_slots, ...).
  ToolRegistry& tools() { return tools_; }
  const AgentConfig& config() const { return config_; }

  // One turn. Never throws for the model's failures (the fallback reply, recorded in
  // `audit`); throws errors::Error for a conversation that does not exist.
  TurnResult Answer(const TurnRequest& request);

  // Stores a turn's reply on the conversation, switches it to staff after a handoff and
  // writes the audit events, in the caller's transaction. nullopt when `reply_to` was
  // already answered.
  std::optional<std::int64_t> Record(db::Transaction& tx, std::int64_t conversation,
                                     const TurnResult& turn, const RecordOptions& options);

  // Summarises the organisation's conversations idle for agent.summarize_idle_hours; returns
  // how many were summarised. Staged: reads, calls the model, writes.
  int SummarizeIdle(std::int64_t tenant, int limit);

 private:
  db::Pool& pool_;
  knowledge::Retriever& retriever_;
  AgentConfig config_;
  Llm llm_;
  ToolRegistry tools_;
};

// The fixed replies of a turn in the client's language: the fallback (unless configured),
// a refused topic, an acknowledgement while staff handle the conversation.
std::string FallbackReply(const std::string& language, const AgentConfig& config);
std::string RefusedReply(const std::string& language);
std::string DeclinedReply(const std::string& language);

}  // namespace sloth::agent
