#include "booking/phrases.hpp"

namespace sloth::booking {

std::string Fill(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    const std::string tag = "{" + key + "}";
    for (auto at = text.find(tag); at != std::string::npos; at = text.find(tag, at + value.size()))
      text.replace(at, tag.size(), value);
  }
  return text;
}

}  // namespace sloth::booking
