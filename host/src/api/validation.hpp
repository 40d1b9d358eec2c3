#pragma once

// Reading request bodies: every field is checked for type and length, and a field the
// route does not accept is refused (400 naming it) rather than ignored, so a client can
// never set what it must not (role, tenant, plan) by adding it to a body.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace sloth::api {

// Throws 400 for any member of `body` not in `allowed`.
void OnlyFields(const nlohmann::json& body, std::initializer_list<const char*> allowed);

// A required string of 1..max characters (after trimming), or 400 naming the field.
std::string RequiredString(const nlohmann::json& body, const char* field, std::size_t max);
// An optional string; absent -> nullopt, null -> "" (clears), otherwise 0..max characters.
std::optional<std::string> OptionalString(const nlohmann::json& body, const char* field,
                                          std::size_t max);

std::string RequiredEmail(const nlohmann::json& body, const char* field);
bool IsEmail(const std::string& s);

// ?limit= (1..max, default `def`) and ?cursor= (an opaque id) for list endpoints.
struct Page {
  int limit;
  std::int64_t after;
};
Page ReadPage(const std::optional<std::string>& limit, const std::optional<std::string>& cursor,
              int def = 50, int max = 200);

}  // namespace sloth::api
