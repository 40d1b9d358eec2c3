#pragma once

// The offline language model: no network, no weights, deterministic. It reads the same
// chat request an LLM gets (sloth_llm_ops.chat: messages, tools) plus the host's `hints`
// (the client's language and intent, the retrieved knowledge, the salon's name) and:
//   - answers a question by quoting the knowledge lines that answer it (a price question
//     gets the service's price line) with the source's title, preferring lines in the
//     client's script; says plainly when the knowledge has no answer and offers a person;
//   - for a booking or change intent calls the offered tool an LLM would call (find_slots,
//     my_bookings), its arguments filled from the schema (text, date, time);
//   - after a tool round, words the tool's result;
//   - for hints.task = "summarize", summarises a dialogue extractively.
// Replies are in the client's language (en, uk, ru, pl, de).

#include <nlohmann/json.hpp>

namespace local_llm {

// The response document of sloth_llm_ops.chat: {"text", "tool_calls"?, "usage", "model"}.
nlohmann::json Respond(const nlohmann::json& request);

}  // namespace local_llm
