#pragma once

// Telegram Update -> the host's channel event (sdk/README.md "Payloads"). The event id is
// the update_id (unique per bot, so an edit is not mistaken for its original message).

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace telegram {

struct Parsed {
  std::optional<nlohmann::json> event;  // none: an update type we do not handle
  std::string kind;                     // "message", "edited_message", ..., or the unknown key
  std::string callback_query_id;        // to answer, for callback queries
  std::string photo_file_id;            // the largest size, for photos
};

// Throws std::invalid_argument when `update` is not an Update (no integer update_id).
Parsed ParseUpdate(const nlohmann::json& update);

}  // namespace telegram
