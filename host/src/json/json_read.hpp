#pragma once

// Reading JSON that others wrote: plugins' outputs, providers' payloads, job payloads. It
// grows compatibly and providers disagree on types (an id may arrive as a number or a
// string), so members are read leniently here, in one place, rather than with ad-hoc checks
// at every call site.

#include <string>

#include <nlohmann/json.hpp>

namespace sloth::json_read {

// The member as text: a string as is, any other value in its JSON form, "" when absent or
// null (or when `object` is not an object).
inline std::string TextOf(const nlohmann::json& object, const char* key) {
  if (!object.is_object()) return "";
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace sloth::json_read
