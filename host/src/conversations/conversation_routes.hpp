#pragma once

// The read side of conversations, served under two paths with one implementation:
// /api/conversations (?source=&mode=) for the salon's inbox and /api/agent/history
// (?source=&status=) for the assistant's history. Both list newest first and show one
// conversation with its messages, each agent reply with what it was made from.

#include <optional>
#include <string>

#include "api/api.hpp"

namespace sloth::conversations {

// GET `base` and GET `base`/{id}; `mode_param` names the agent|human filter.
void AddReadRoutes(api::Api& api, const std::string& base, const std::string& mode_param);

// "agent" or "human" (or none); anything else is 400 naming `field`.
std::optional<std::string> ModeFilter(const std::optional<std::string>& mode,
                                      const std::string& field);

}  // namespace sloth::conversations
