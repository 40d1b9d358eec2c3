#pragma once

// The answerer used when no LLM is configured (DESIGN.md "Offline defaults"): it recognises
// a greeting, a booking request and a price question in English and Ukrainian and answers
// from the salon's profile, and otherwise acknowledges the message. Deterministic, so the
// channel pipeline can be tested end to end. The agent (router, retrieval, LLM) replaces it.

#include <string>
#include <vector>

namespace sloth::agent {

struct SalonProfile {
  std::string name;
  std::string phone;  // may be empty
};

std::string OfflineAnswer(const std::vector<std::string>& messages, const SalonProfile& salon);

}  // namespace sloth::agent
