#pragma once

// Reading request bodies: every field is checked for type and length, and a field the
// route does not accept is refused (400 naming it) rather than ignored, so a client can
// never set what it must not (role, tenant, plan) by adding it to a body.

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

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

// The positive integer id in a path parameter; anything else is 404 with `what` (an id
// that cannot exist names no object).
std::int64_t IdParam(const std::string& value, const std::string& what);

// ?limit= (1..max, default `def`) and ?cursor= (an opaque id) for list endpoints.
struct Page {
  int limit;
  std::int64_t after;
};
Page ReadPage(const std::optional<std::string>& limit, const std::optional<std::string>& cursor,
              int def = 50, int max = 200);

// {items, next_cursor} from rows fetched with LIMIT page.limit + 1 (the extra row only
// says that there is a next page). `id` gives a row's cursor, `render` its JSON.
template <typename Row, typename Id, typename Render>
nlohmann::json PageJson(const std::vector<Row>& rows, const Page& page, Id&& id, Render&& render) {
  const auto shown = std::min(rows.size(), static_cast<std::size_t>(page.limit));
  nlohmann::json items = nlohmann::json::array();
  for (std::size_t i = 0; i < shown; ++i) items.push_back(render(rows[i]));
  nlohmann::json next = nullptr;
  if (rows.size() > shown) next = std::to_string(id(rows[shown - 1]));
  return {{"items", items}, {"next_cursor", next}};
}

}  // namespace sloth::api
