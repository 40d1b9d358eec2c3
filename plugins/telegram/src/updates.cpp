#include "updates.hpp"

#include <stdexcept>

namespace telegram {
namespace {

using json = nlohmann::json;

// Field readers that never throw: Telegram's shapes are documented, but a field of another
// type must cost the update its field, not the webhook its answer (found by fuzzing).
const json& Field(const json& j, const char* key) {
  static const json none;
  if (!j.is_object()) return none;
  const auto it = j.find(key);
  return it == j.end() ? none : *it;
}

json Object(const json& j, const char* key) {
  const json& v = Field(j, key);
  return v.is_object() ? v : json::object();
}

std::string Text(const json& j, const char* key) {
  const json& v = Field(j, key);
  return v.is_string() ? v.get<std::string>() : "";
}

std::int64_t Int(const json& j, const char* key) {
  const json& v = Field(j, key);
  return v.is_number_integer() ? v.get<std::int64_t>() : 0;
}

std::string IdText(const json& v) {
  if (v.is_number_integer()) return std::to_string(v.get<std::int64_t>());
  if (v.is_string()) return v.get<std::string>();
  return "";
}

json From(const json& user) {
  if (!user.is_object()) return json::object();
  std::string name = Text(user, "first_name");
  const std::string last = Text(user, "last_name");
  if (!last.empty()) name += (name.empty() ? "" : " ") + last;
  json f = {{"id", IdText(Field(user, "id"))}, {"name", name}};
  if (user.contains("username") && user["username"].is_string()) f["username"] = user["username"];
  if (user.contains("language_code") && user["language_code"].is_string())
    f["language"] = user["language_code"];
  return f;
}

}  // namespace

Parsed ParseUpdate(const json& update) {
  if (!update.is_object() || !update.contains("update_id") ||
      !update["update_id"].is_number_integer()) {
    throw std::invalid_argument("not a Telegram Update (no integer update_id)");
  }
  Parsed p;
  const std::string id = std::to_string(update["update_id"].get<std::int64_t>());
  for (const char* key : {"message", "edited_message"}) {
    if (!update.contains(key) || !update[key].is_object()) continue;
    const json& m = update[key];
    p.kind = key;
    const json chat = Object(m, "chat");
    json e = {{"type", std::string(key) == "message" ? "message" : "edited"},
              {"chat_id", IdText(Field(chat, "id"))},
              {"message_id", id},
              {"provider_message_id", IdText(Field(m, "message_id"))},
              {"from", From(Object(m, "from"))},
              {"chat_type", Text(chat, "type")}};
    if (m.contains("date") && m["date"].is_number_integer()) e["timestamp"] = m["date"];
    if (m.contains("text") && m["text"].is_string()) {
      const std::string text = m["text"];
      e["text"] = text;
      if (!text.empty() && text[0] == '/') {
        const auto end = text.find_first_of(" @");
        e["command"] = text.substr(1, end == std::string::npos ? std::string::npos : end - 1);
      }
    } else if (m.contains("caption") && m["caption"].is_string()) {
      e["text"] = m["caption"];
    }
    if (m.contains("photo") && m["photo"].is_array() && !m["photo"].empty()) {
      // Sizes come smallest first; keep the largest.
      const json& best = m["photo"].back();
      p.photo_file_id = Text(best, "file_id");
      e["photo"] = {{"file_id", p.photo_file_id},
                    {"width", Int(best, "width")},
                    {"height", Int(best, "height")}};
      if (Field(best, "file_size").is_number_integer()) e["photo"]["file_size"] = best["file_size"];
    }
    if (e["chat_id"].get<std::string>().empty()) return p;  // not answerable: ignore
    p.event = e;
    return p;
  }
  if (update.contains("callback_query") && update["callback_query"].is_object()) {
    const json& q = update["callback_query"];
    p.kind = "callback_query";
    p.callback_query_id = IdText(Field(q, "id"));
    const json from = From(Object(q, "from"));
    std::string chat = Text(from, "id");
    if (q.contains("message") && q["message"].is_object())
      chat = IdText(Field(Object(q["message"], "chat"), "id"));
    p.event = json{{"type", "callback"},
                   {"chat_id", chat},
                   {"message_id", id},
                   {"from", from},
                   {"callback_data", Text(q, "data")}};
    return p;
  }
  for (const auto& [k, v] : update.items()) {
    if (k != "update_id") p.kind = k;
  }
  return p;
}

}  // namespace telegram
