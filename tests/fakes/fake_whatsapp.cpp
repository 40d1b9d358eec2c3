#include "fakes/fake_whatsapp.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <condition_variable>
#include <regex>

namespace sloth::fakes {
namespace {

using json = nlohmann::json;

FakeResponse GraphError(int http, int code, const std::string& message) {
  return FakeResponse::Json(http, json{{"error",
                                        {{"message", message},
                                         {"type", "OAuthException"},
                                         {"code", code},
                                         {"fbtrace_id", "AfakeTrace"}}}}
                                      .dump());
}

}  // namespace

FakeWhatsApp::FakeWhatsApp(std::string access_token, std::string phone_number_id)
    : token_(std::move(access_token)),
      phone_(std::move(phone_number_id)),
      server_([this](const FakeRequest& r) { return Handle(r); }) {}

FakeResponse FakeWhatsApp::Handle(const FakeRequest& r) {
  if (r.Header("authorization") != "Bearer " + token_)
    return GraphError(401, 190, "Invalid OAuth access token - Cannot parse access token");
  static const std::regex phone_path(R"(^/v\d+\.\d+/(\d+)$)");
  static const std::regex messages_path(R"(^/v\d+\.\d+/(\d+)/messages$)");
  std::smatch m;
  if (r.method == "GET" && r.path == "/whatsapp_business/attachments/") {
    FakeResponse jpeg;
    jpeg.content_type = "image/jpeg";
    jpeg.body = std::string("\xFF\xD8\xFF\xE0", 4) + "fake-whatsapp-image-" + r.query;
    return jpeg;
  }
  if (r.method == "GET" && std::regex_match(r.path, m, phone_path) && m[1] != phone_) {
    // A media id: its short-lived URL on Meta's CDN.
    const std::string id = m[1];
    return FakeResponse::Json(
        200, json{{"messaging_product", "whatsapp"},
                  {"url", "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=" + id},
                  {"mime_type", "image/jpeg"},
                  {"sha256", "0f"},
                  {"file_size", "28"},
                  {"id", id}}
                 .dump());
  }
  if (r.method == "GET" && std::regex_match(r.path, m, phone_path)) {
    return FakeResponse::Json(200, json{{"display_phone_number", "15550783881"},
                                        {"verified_name", "Salon Aurora"},
                                        {"id", phone_}}
                                       .dump());
  }
  if (r.method == "POST" && std::regex_match(r.path, m, messages_path)) {
    const auto body = json::parse(r.body, nullptr, false);
    if (!body.is_object() || body.value("messaging_product", "") != "whatsapp" ||
        !body.contains("to") || !body.contains("type")) {
      return GraphError(400, 100, "(#100) Invalid parameter");
    }
    std::lock_guard lock(mu_);
    const std::string type = body.value("type", "");
    const auto wrote = last_customer_.find(body.value("to", ""));
    const auto now = std::chrono::system_clock::now();
    // Meta: free-form messages only within 24 h of the customer's last one; templates any
    // time (checked for customers the test said when they last wrote).
    if (type != "template" && wrote != last_customer_.end() &&
        now - wrote->second > std::chrono::hours(24))
      return GraphError(400, 131047,
                        "Re-engagement message: more than 24 hours have passed since the "
                        "customer last replied to this number.");
    if (type == "interactive") {
      const json buttons = body.value("interactive", json::object())
                               .value("action", json::object())
                               .value("buttons", json::array());
      if (!buttons.is_array() || buttons.empty() || buttons.size() > 3)
        return GraphError(400, 131009, "(#131009) Parameter value is not valid: buttons");
      for (const auto& b : buttons) {
        const json reply = b.value("reply", json::object());
        const std::string title = reply.value("title", "");
        // Titles count characters, not bytes: at most 20.
        std::size_t chars = 0;
        for (const unsigned char c : title) chars += (c & 0xC0) != 0x80;
        if (chars == 0 || chars > 20 || reply.value("id", "").empty() ||
            reply.value("id", "").size() > 256)
          return GraphError(400, 131009, "(#131009) Parameter value is not valid: button");
      }
    }
    if (type == "template") {
      const json t = body.value("template", json::object());
      const std::string key =
          t.value("name", "") + "/" + t.value("language", json::object()).value("code", "");
      if (!templates_.count(key))
        return GraphError(404, 132001, "(#132001) Template name does not exist in the translation");
    }
    last_id_ = "wamid.FAKE" + std::to_string(next_++);
    sent_.push_back(body);
    cv_.notify_all();
    const std::string to = body["to"];
    return FakeResponse::Json(200, json{{"messaging_product", "whatsapp"},
                                        {"contacts", {{{"input", to}, {"wa_id", to}}}},
                                        {"messages", {{{"id", last_id_}}}}}
                                       .dump());
  }
  return GraphError(400, 100, "Unknown path components");
}

void FakeWhatsApp::CustomerWrote(const std::string& phone,
                                 std::chrono::system_clock::time_point when) {
  std::lock_guard lock(mu_);
  last_customer_[phone] = when;
}

void FakeWhatsApp::ApproveTemplate(const std::string& name, const std::string& language) {
  std::lock_guard lock(mu_);
  templates_.insert(name + "/" + language);
}

std::vector<json> FakeWhatsApp::sent() const {
  std::lock_guard lock(mu_);
  return sent_;
}

std::string FakeWhatsApp::last_message_id() const {
  std::lock_guard lock(mu_);
  return last_id_;
}

bool FakeWhatsApp::WaitForSent(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return sent_.size() >= n; });
}

namespace {

// A notification as Meta wraps it: one entry, one change of field "messages".
json Envelope(json value) {
  value["messaging_product"] = "whatsapp";
  value["metadata"] = {{"display_phone_number", "15550783881"},
                       {"phone_number_id", "106540352242922"}};
  return {{"object", "whatsapp_business_account"},
          {"entry",
           {{{"id", "102290129340398"},
             {"changes", {{{"field", "messages"}, {"value", std::move(value)}}}}}}}};
}

}  // namespace

json FakeWhatsApp::TextNotification(const std::string& from, const std::string& id,
                                    const std::string& text, long long timestamp) {
  return Envelope({{"contacts", {{{"profile", {{"name", "Kerry Fisher"}}}, {"wa_id", from}}}},
                   {"messages",
                    {{{"from", from},
                      {"id", id},
                      {"timestamp", std::to_string(timestamp)},
                      {"type", "text"},
                      {"text", {{"body", text}}}}}}});
}

json FakeWhatsApp::StatusNotification(const std::string& message_id, const std::string& to,
                                      const std::string& status) {
  return Envelope({{"statuses",
                    {{{"id", message_id},
                      {"status", status},
                      {"timestamp", "1700000100"},
                      {"recipient_id", to}}}}});
}

std::string FakeWhatsApp::Sign(const std::string& body, const std::string& app_secret) {
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

}  // namespace sloth::fakes
