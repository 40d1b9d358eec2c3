#pragma once

// Client-facing text of booking (the assistant's tools, reminders): {key} placeholders
// filled with values.

#include <map>
#include <string>

namespace sloth::booking {

std::string Fill(std::string text, const std::map<std::string, std::string>& values);

}  // namespace sloth::booking
