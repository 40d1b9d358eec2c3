#pragma once

// The tools the assistant may call (OpenAI function calling, and the local model through
// the same interface). A concern registers its tools at composition — booking adds
// list_services, find_slots, book, move, cancel, my_bookings — and the agent offers them
// to the model and runs what the model asks for, without knowing any of them.

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "db/pool.hpp"

namespace sloth::agent {

// Whom a call acts for: the conversation's organisation and client. A handler opens its
// own transactions in the tenant's scope from `pool` (no transaction is held across the
// model's turn).
struct ToolContext {
  std::int64_t tenant = 0;
  std::int64_t conversation_id = 0;  // 0 in the sandbox
  std::string channel;               // the channel plugin ("telegram"), "web" for the API
  std::string external_id;           // the client's chat id on that channel
  db::Pool* pool = nullptr;
  bool dry_run = false;  // the sandbox: answer as if, change nothing
  std::string language;  // the client's (en, uk, ru, pl, de): for words a tool returns
  std::string client_name;
};

// What a tool answered: `output` goes back to the model as the tool message; a refused call
// (bad arguments, the handler's domain error) says why, so the model can correct itself.
// An output may carry "reply" (words for the client) and "confirm": {tool, arguments} — an
// action that waits for the client's yes (book, move, cancel): the agent keeps it on the
// conversation and runs it, confirmed, when the client agrees.
struct ToolResult {
  bool ok = true;
  nlohmann::json output = nlohmann::json::object();
  std::string error;
};

using ToolHandler =
    std::function<nlohmann::json(const ToolContext& ctx, const nlohmann::json& arguments)>;

struct ToolSpec {
  std::string name;           // a-z, 0-9, _ ; 1..64 (what OpenAI accepts)
  std::string description;    // for the model: when to call it
  nlohmann::json parameters;  // JSON Schema of the arguments (an object schema)
  ToolHandler handler;        // may throw errors::Error; the call reports it
};

class ToolRegistry {
 public:
  // Throws std::invalid_argument for a bad name, a second tool of one name, a missing
  // handler or a parameters schema that is not a usable object schema.
  void Register(ToolSpec spec);
  bool Has(const std::string& name) const { return tools_.count(name) > 0; }
  std::size_t size() const { return tools_.size(); }

  // OpenAI's `tools`: [{"type":"function","function":{name, description, parameters}}],
  // in name order.
  nlohmann::json Definitions() const;

  // Runs `name` with the model's `arguments_json` (a JSON object as text). Never throws:
  // an unknown tool, arguments that do not parse or do not match the schema (defaults
  // filled in first), and a handler's errors::Error come back refused with the reason; any
  // other failure is logged and refused as an internal error.
  ToolResult Call(const std::string& name, const std::string& arguments_json,
                  const ToolContext& ctx) const;

 private:
  std::map<std::string, ToolSpec> tools_;
};

}  // namespace sloth::agent
