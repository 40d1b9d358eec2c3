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

#include "db/connection.hpp"

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

// Rows fetched with LIMIT page.limit + 1 and the id in column 0: the page and its cursor.
template <typename Render>
nlohmann::json PageOfRows(const db::Result& r, const Page& page, Render&& render) {
  nlohmann::json items = nlohmann::json::array();
  const int shown = std::min(r.Rows(), page.limit);
  for (int i = 0; i < shown; ++i) items.push_back(render(r, i));
  nlohmann::json next = nullptr;
  if (r.Rows() > page.limit) next = std::to_string(r.Int(shown - 1, 0));
  return {{"items", items}, {"next_cursor", next}};
}

// A nullable text column as JSON (null for SQL NULL).
inline nlohmann::json TextOrNull(const db::Result& r, int row, int col) {
  return r.IsNull(row, col) ? nlohmann::json(nullptr) : nlohmann::json(r.Text(row, col));
}

}  // namespace sloth::api
