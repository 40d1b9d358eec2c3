#include "notifications.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace whatsapp {
namespace {

using json = nlohmann::json;

std::string Str(const json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

long long Seconds(const json& j, const char* key) {
  const std::string s = Str(j, key);  // WhatsApp sends timestamps as strings
  try {
    return s.empty() ? 0 : std::stoll(s);
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

std::string Signature(std::string_view body, std::string_view app_secret) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), app_secret.data(), static_cast<int>(app_secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  static const char* hex = "0123456789abcdef";
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 15];
  }
  return out;
}

bool SignatureValid(std::string_view header, std::string_view body, std::string_view app_secret) {
  const std::string expected = Signature(body, app_secret);
  return header.size() == expected.size() &&
         CRYPTO_memcmp(header.data(), expected.data(), expected.size()) == 0;
}

json ParseNotification(const json& n) {
  if (!n.is_object() || Str(n, "object") != "whatsapp_business_account" ||
      !n.value("entry", json()).is_array()) {
    throw std::invalid_argument("not a whatsapp_business_account notification");
  }
  json events = json::array();
  for (const auto& entry : n["entry"]) {
    if (!entry.is_object() || !entry.value("changes", json()).is_array()) continue;
    for (const auto& change : entry["changes"]) {
      if (!change.is_object() || Str(change, "field") != "messages") continue;
      const json value = change.value("value", json::object());
      json names = json::object();
      for (const auto& c : value.value("contacts", json::array())) {
        if (c.is_object())
          names[Str(c, "wa_id")] = c.value("profile", json::object()).value("name", "");
      }
      for (const auto& m : value.value("messages", json::array())) {
        if (!m.is_object()) continue;
        const std::string from = Str(m, "from");
        const std::string type = Str(m, "type");
        json e = {{"type", "message"},
                  {"chat_id", from},
                  {"message_id", Str(m, "id")},
                  {"from", {{"id", from}, {"name", names.value(from, "")}}},
                  {"timestamp", Seconds(m, "timestamp")},
                  {"kind", type}};
        if (type == "text") {
          e["text"] = m.value("text", json::object()).value("body", "");
        } else if (type == "image") {
          const json img = m.value("image", json::object());
          e["photo"] = {{"media_id", Str(img, "id")},
                        {"mime_type", Str(img, "mime_type")},
                        {"sha256", Str(img, "sha256")}};
          if (!Str(img, "caption").empty()) e["text"] = Str(img, "caption");
        } else if (type == "interactive") {
          const json it = m.value("interactive", json::object());
          const std::string kind = Str(it, "type");  // button_reply | list_reply
          const json reply = it.value(kind, json::object());
          e["type"] = "callback";
          e["callback_data"] = Str(reply, "id");
          e["text"] = Str(reply, "title");
        } else if (type == "button") {
          const json b = m.value("button", json::object());
          e["type"] = "callback";
          e["callback_data"] = Str(b, "payload");
          e["text"] = Str(b, "text");
        }
        if (m.contains("context") && m["context"].is_object())
          e["reply_to"] = Str(m["context"], "id");
        events.push_back(e);
      }
      for (const auto& s : value.value("statuses", json::array())) {
        if (!s.is_object()) continue;
        json e = {{"type", "status"},
                  {"chat_id", Str(s, "recipient_id")},
                  {"message_id", Str(s, "id")},
                  {"status", Str(s, "status")},
                  {"timestamp", Seconds(s, "timestamp")}};
        const json errors = s.value("errors", json::array());
        if (errors.is_array() && !errors.empty() && errors[0].is_object()) {
          e["error"] = errors[0].value("title", errors[0].value("message", std::string("failed")));
        }
        events.push_back(e);
      }
    }
  }
  return events;
}

}  // namespace whatsapp
