#include "whatsapp_channel.hpp"

#include <chrono>

#include "notifications.hpp"
#include "text.hpp"

namespace whatsapp {

using json = nlohmann::json;

namespace {

constexpr long long kWindowSeconds = 24 * 3600;

bool Equal(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const auto pair = query.substr(0, amp);
    const auto eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      return std::string(eq == std::string_view::npos ? "" : pair.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return "";
}

}  // namespace

WhatsAppChannel::WhatsAppChannel(const sloth::InstanceArgs& args) : host_(args.host) {
  const auto c = json::parse(args.config_json);  // validated by the host
  access_token_ = c.at("access_token");
  app_secret_ = c.at("app_secret");
  verify_token_ = c.at("verify_token");
  phone_number_id_ = c.at("phone_number_id");
  base_ = sloth_plugins::BaseUrl(c.value("api_base", "https://graph.facebook.com")) + "/" +
          c.value("api_version", "v19.0");
}

json WhatsAppChannel::Graph(const std::string& method, const std::string& path, const json& body) {
  sloth::HttpRequest req;
  req.method = method;
  req.url = base_ + path;
  req.headers = {{"Authorization", "Bearer " + access_token_}};
  if (!body.is_null()) {
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = body.dump();
  }
  const auto resp = host_.Http(req);
  const auto j = json::parse(resp.body, nullptr, false);
  if (resp.status >= 200 && resp.status < 300 && j.is_object()) return j;
  // Meta's errors are told apart by code, not by HTTP status.
  const json e = j.is_object() ? j.value("error", json::object()) : json::object();
  const int code = e.value("code", 0);
  const std::string what = "whatsapp: (#" + std::to_string(code) + ") " +
                           e.value("message", "HTTP " + std::to_string(resp.status));
  if (code == 4 || code == 80007 || code == 130429 || code == 131056 || resp.status == 429)
    throw sloth::Error(sloth::Status::kRateLimited, what, 5000);
  if (code == 190 || code == 0 || resp.status == 401)
    throw sloth::Error(sloth::Status::kUnauthenticated, what);
  if (resp.status >= 500) throw sloth::Error(sloth::Status::kUnavailable, what);
  throw sloth::Error(sloth::Status::kInvalidArgument, what);
}

void WhatsAppChannel::AttachMedia(json& event) {
  constexpr std::size_t kMaxBytes = 16u << 20;  // WhatsApp's image limit is 5 MB; margin
  const std::string id = event["photo"].value("media_id", "");
  if (id.empty() || id.find_first_of("/?#%") != std::string::npos) return;
  try {
    const json media = Graph("GET", "/" + id, nullptr);
    sloth::HttpRequest req;
    req.url = media.value("url", "");
    req.headers = {{"Authorization", "Bearer " + access_token_}};
    req.timeout_ms = 30000;
    req.max_retries = 2;
    const auto resp = host_.Http(req);
    if (resp.status != 200 || resp.body.size() > kMaxBytes) {
      event["photo"]["error"] = "download failed (HTTP " + std::to_string(resp.status) + ")";
      return;
    }
    event["photo"]["data_base64"] = sloth_plugins::Base64(resp.body);
    event["photo"]["content_type"] = media.value("mime_type", "");
  } catch (const sloth::Error& e) {
    event["photo"]["error"] = std::string("download failed: ") + e.what();
  }
}

std::string WhatsAppChannel::Connect(std::string_view request_json) {
  const auto r = json::parse(request_json, nullptr, false);
  const json phone =
      Graph("GET", "/" + phone_number_id_ + "?fields=display_phone_number,verified_name", nullptr);
  json out = {{"mode", "webhook"},
              {"phone", phone.value("display_phone_number", "")},
              {"verified_name", phone.value("verified_name", "")}};
  if (r.is_object() && r.contains("webhook_url")) {
    out["webhook_url"] = r["webhook_url"];
    out["setup"] =
        "enter this callback URL and your verify token in the Meta app's WhatsApp webhook settings";
  }
  return out.dump();
}

std::string WhatsAppChannel::Webhook(const sloth::WebhookRequest& request) {
  if (request.method == "GET") {  // the subscription handshake
    const std::string mode = QueryParam(request.query, "hub.mode");
    const std::string token = QueryParam(request.query, "hub.verify_token");
    const std::string challenge = QueryParam(request.query, "hub.challenge");
    if (mode != "subscribe" || !Equal(token, verify_token_) || challenge.empty())
      throw sloth::Error(sloth::Status::kUnauthenticated, "wrong hub.verify_token or hub.mode");
    return json{
        {"response", {{"status", 200}, {"body", challenge}, {"content_type", "text/plain"}}},
        {"events", json::array()}}
        .dump();
  }
  const auto sig = request.Header("X-Hub-Signature-256");
  if (!sig || !SignatureValid(*sig, request.body, app_secret_)) {
    throw sloth::Error(
        sloth::Status::kUnauthenticated,
        sig ? "X-Hub-Signature-256 does not match the body" : "missing X-Hub-Signature-256");
  }
  const auto body = json::parse(request.body, nullptr, false);
  if (body.is_discarded()) throw sloth::Error(sloth::Status::kInvalidArgument, "body is not JSON");
  try {
    json events = ParseNotification(body);
    for (auto& e : events) {
      if (e.contains("photo")) AttachMedia(e);
    }
    host_.CounterAdd("notifications_received");
    return json{{"events", events}}.dump();
  } catch (const std::invalid_argument& e) {
    throw sloth::Error(sloth::Status::kInvalidArgument, e.what());
  }
}

std::string WhatsAppChannel::Send(std::string_view message_json) {
  const auto m = json::parse(message_json, nullptr, false);
  if (!m.is_object() || !m.value("chat_id", json()).is_string())
    throw sloth::Error(sloth::Status::kInvalidArgument, "expected {\"chat_id\", \"text\"}");
  const long long last = m.value("customer_last_message_at", 0LL);
  const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  const bool templated = m.contains("template") && m["template"].is_object();
  if (!templated && (last <= 0 || now - last > kWindowSeconds)) {
    throw sloth::Error(sloth::Status::kInvalidArgument,
                       "outside the 24-hour customer service window: WhatsApp allows only "
                       "approved template messages until the customer writes again");
  }
  const std::string to = m["chat_id"];
  std::string id;
  auto post = [&](const json& payload) {
    json body = {{"messaging_product", "whatsapp"}, {"recipient_type", "individual"}, {"to", to}};
    body.update(payload);
    const json r = Graph("POST", "/" + phone_number_id_ + "/messages", body);
    const json msgs = r.value("messages", json::array());
    if (msgs.is_array() && !msgs.empty()) id = msgs[0].value("id", "");
  };
  if (templated) {
    // An approved template (allowed at any time): body parameters in order, and quick-reply
    // buttons whose payloads come back as a message of type `button`.
    const json& t = m["template"];
    if (!t.value("name", json()).is_string() || !t.value("language", json()).is_string())
      throw sloth::Error(sloth::Status::kInvalidArgument, "template needs name and language");
    json components = json::array();
    json params = json::array();
    for (const auto& v : t.value("parameters", json::array()))
      params.push_back(
          {{"type", "text"}, {"text", v.is_string() ? v.get<std::string>() : v.dump()}});
    if (!params.empty()) components.push_back({{"type", "body"}, {"parameters", params}});
    int index = 0;
    for (const auto& b : t.value("buttons", json::array())) {
      if (!b.is_string()) continue;
      components.push_back({{"type", "button"},
                            {"sub_type", "quick_reply"},
                            {"index", std::to_string(index++)},
                            {"parameters", {{{"type", "payload"}, {"payload", b}}}}});
    }
    post({{"type", "template"},
          {"template",
           {{"name", t["name"]},
            {"language", {{"code", t["language"]}}},
            {"components", components}}}});
  } else if (m.contains("keyboard") && m["keyboard"].is_array()) {
    // Reply buttons: WhatsApp allows three, titles of at most 20 characters.
    json buttons = json::array();
    for (const auto& row : m["keyboard"]) {
      if (!row.is_array()) continue;
      for (const auto& b : row) {
        if (buttons.size() == 3 || !b.is_object()) break;
        buttons.push_back({{"type", "reply"},
                           {"reply",
                            {{"id", b.value("data", "")},
                             {"title", sloth_plugins::SplitText(b.value("text", ""), 20).at(0)}}}});
      }
    }
    const auto parts = sloth_plugins::SplitText(m.value("text", ""), 1024);
    if (parts.empty() || buttons.empty())
      throw sloth::Error(sloth::Status::kInvalidArgument,
                         "buttons need text and at least one button");
    post({{"type", "interactive"},
          {"interactive",
           {{"type", "button"},
            {"body", {{"text", parts[0]}}},
            {"action", {{"buttons", buttons}}}}}});
  } else if (m.contains("photo") && m["photo"].is_object()) {
    const json& p = m["photo"];
    json image = json::object();
    if (p.contains("media_id"))
      image["id"] = p["media_id"];
    else if (p.contains("url"))
      image["link"] = p["url"];
    else
      throw sloth::Error(sloth::Status::kInvalidArgument, "photo needs media_id or url");
    if (p.contains("caption")) image["caption"] = p["caption"];
    post({{"type", "image"}, {"image", image}});
  } else {
    const auto parts = sloth_plugins::SplitText(m.value("text", ""), 4096);
    if (parts.empty()) throw sloth::Error(sloth::Status::kInvalidArgument, "text is empty");
    for (const auto& part : parts)
      post({{"type", "text"}, {"text", {{"preview_url", false}, {"body", part}}}});
  }
  host_.CounterAdd("messages_sent");
  return json{{"message_id", id}}.dump();
}

}  // namespace whatsapp
