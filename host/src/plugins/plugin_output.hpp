#pragma once

// Reading what plugins return. Their JSON grows compatibly and providers disagree on types
// (an id may arrive as a number or a string), so members are read leniently here, in one
// place, rather than with ad-hoc checks at every call site.

#include <string>

#include <nlohmann/json.hpp>

namespace sloth::plugins {

// The member as text: a string as is, any other value in its JSON form, "" when absent or
// null.
inline std::string TextOf(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace sloth::plugins
