#pragma once

// The supervisor: the checks between the model and the client. Before the turn, a message
// on a topic the salon refuses is answered without the model; after it, a reply that is
// empty, too long, echoes the system prompt, or gives contact details found nowhere in what
// the turn was given (another salon's data, an invented phone) is replaced by the fallback.
// What it stops is recorded in the audit trail (agent_repository.hpp), PII-masked.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sloth::agent {

// The refused topic `text` is about (every word of the topic appears in it, inflections
// included), if any.
std::optional<std::string> RefusedTopic(std::string_view text,
                                        const std::vector<std::string>& topics);

struct ReplyCheck {
  std::string system_prompt;  // role and instructions, as the model got them
  std::string grounding;      // what the reply may take contact data from: knowledge,
                              // prompt context, the salon's profile, the dialogue
  std::size_t max_chars = 3000;
};

// Why the reply may not be sent ("empty", "too_long", "prompt_echo",
// "ungrounded_contact: ..."), or nullopt when it passes.
std::optional<std::string> CheckReply(std::string_view reply, const ReplyCheck& check);

}  // namespace sloth::agent
