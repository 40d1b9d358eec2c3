#include "telegram_channel.hpp"

#include <random>
#include <thread>

#include "text.hpp"
#include "updates.hpp"

namespace telegram {

using json = nlohmann::json;
using sloth_plugins::Base64;
using sloth_plugins::EscapeHtml;
using sloth_plugins::SplitText;

namespace {

bool SecretEquals(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

std::string RandomSecret() {
  static const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  std::random_device rd;
  std::string s;
  for (int i = 0; i < 48; ++i) s += alphabet[rd() % 64];
  return s;
}

const char* kAllowedUpdates = R"(["message","edited_message","callback_query"])";

}  // namespace

TelegramChannel::TelegramChannel(const sloth::InstanceArgs& args) : host_(args.host) {
  const auto config = json::parse(args.config_json);  // validated by the host
  token_ = config.at("bot_token").get<std::string>();
  mode_ = config.value("mode", "auto");
  api_base_ = sloth_plugins::BaseUrl(config.value("api_base", "https://api.telegram.org"));
  chat_interval_ = std::chrono::milliseconds(config.value("chat_interval_ms", 1000));
}

json TelegramChannel::Call(const std::string& method, const json& params, uint32_t timeout_ms) {
  sloth::HttpRequest req;
  req.method = "POST";
  req.url = api_base_ + "/bot" + token_ + "/" + method;
  req.headers = {{"Content-Type", "application/json"}};
  req.body = params.dump();
  req.timeout_ms = timeout_ms;
  const auto resp = host_.Http(req);
  const auto body = json::parse(resp.body, nullptr, false);
  if (body.is_object() && body.value("ok", false)) return body.value("result", json());
  const int code = body.is_object() ? body.value("error_code", resp.status) : resp.status;
  const std::string what = "telegram " + method + ": " +
                           (body.is_object() ? body.value("description", std::string("error"))
                                             : "HTTP " + std::to_string(resp.status));
  if (code == 429) {
    int retry = 1;
    if (body.is_object() && body.contains("parameters"))
      retry = body["parameters"].value("retry_after", 1);
    throw sloth::Error(sloth::Status::kRateLimited, what,
                       static_cast<uint32_t>(std::max(1, retry)) * 1000u);
  }
  if (code == 401 || code == 404) throw sloth::Error(sloth::Status::kUnauthenticated, what);
  if (code >= 500 || code == 409 || resp.status == 0)
    throw sloth::Error(sloth::Status::kUnavailable, what);
  throw sloth::Error(sloth::Status::kInvalidArgument, what);  // 400 chat not found, 403 blocked
}

void TelegramChannel::AttachPhoto(json& event, const std::string& file_id) {
  constexpr std::int64_t kMaxBytes = 20 << 20;  // what the cloud Bot API serves
  try {
    const json file = Call("getFile", {{"file_id", file_id}}, 10000);
    const std::string path = file.value("file_path", "");
    if (path.empty() || file.value("file_size", std::int64_t{0}) > kMaxBytes) {
      event["photo"]["error"] = "too large to download";
      return;
    }
    sloth::HttpRequest req;
    req.url = api_base_ + "/file/bot" + token_ + "/" + path;
    req.timeout_ms = 30000;
    req.max_retries = 2;
    const auto resp = host_.Http(req);
    if (resp.status != 200 || resp.body.size() > static_cast<std::size_t>(kMaxBytes)) {
      event["photo"]["error"] = "download failed (HTTP " + std::to_string(resp.status) + ")";
      return;
    }
    event["photo"]["data_base64"] = Base64(resp.body);
  } catch (const sloth::Error& e) {
    event["photo"]["error"] = std::string("download failed: ") + e.what();
  }
}

std::string TelegramChannel::WebhookSecret() {
  std::lock_guard lock(mu_);
  if (!secret_) secret_ = host_.KvGet("webhook_secret").value_or("");
  return *secret_;
}

std::string TelegramChannel::Connect(std::string_view request_json) {
  const auto r = json::parse(request_json, nullptr, false);
  const std::string url = r.is_object() ? r.value("webhook_url", "") : "";
  const json me = Call("getMe", json::object());  // validates the token
  const json bot = {{"id", me.value("id", json())}, {"username", me.value("username", "")}};
  const bool polling = mode_ == "polling" || (mode_ == "auto" && url.empty());
  if (polling) {
    // getUpdates answers 409 while a webhook is set.
    Call("deleteWebhook", {{"drop_pending_updates", false}});
    return json{{"mode", "polling"}, {"bot", bot}}.dump();
  }
  if (url.empty()) {
    throw sloth::Error(sloth::Status::kInvalidArgument,
                       "webhook mode needs the host's public URL (http.public_url)");
  }
  const std::string secret = RandomSecret();
  host_.KvPut("webhook_secret", secret);
  {
    std::lock_guard lock(mu_);
    secret_ = secret;
  }
  Call("setWebhook", {{"url", url},
                      {"secret_token", secret},
                      {"allowed_updates", json::parse(kAllowedUpdates)},
                      {"max_connections", 40}});
  return json{{"mode", "webhook"}, {"bot", bot}, {"webhook_url", url}}.dump();
}

void TelegramChannel::Disconnect() {
  Call("deleteWebhook", {{"drop_pending_updates", false}});
  host_.KvDelete("webhook_secret");
}

std::string TelegramChannel::Webhook(const sloth::WebhookRequest& request) {
  const auto given = request.Header("X-Telegram-Bot-Api-Secret-Token");
  const std::string expected = WebhookSecret();
  if (expected.empty() || !given || !SecretEquals(*given, expected)) {
    throw sloth::Error(sloth::Status::kUnauthenticated,
                       given ? "wrong X-Telegram-Bot-Api-Secret-Token"
                             : "missing X-Telegram-Bot-Api-Secret-Token");
  }
  const auto update = json::parse(request.body, nullptr, false);
  if (update.is_discarded())
    throw sloth::Error(sloth::Status::kInvalidArgument, "body is not JSON");
  Parsed p;
  try {
    p = ParseUpdate(update);
  } catch (const std::invalid_argument& e) {
    throw sloth::Error(sloth::Status::kInvalidArgument, e.what());
  }
  json events = json::array();
  if (p.event) {
    if (!p.photo_file_id.empty()) AttachPhoto(*p.event, p.photo_file_id);
    events.push_back(*p.event);
  } else {
    bool first = false;
    {
      std::lock_guard lock(mu_);
      first = unknown_logged_.insert(p.kind).second;
    }
    if (first) host_.Info("ignoring Telegram updates of type '" + p.kind + "'");  // once per type
  }
  if (!p.callback_query_id.empty()) {
    try {  // stops the button's spinner; the answer itself comes as a message
      Call("answerCallbackQuery", {{"callback_query_id", p.callback_query_id}}, 5000);
    } catch (const sloth::Error& e) {
      host_.Warn(std::string("answerCallbackQuery: ") + e.what());
    }
  }
  host_.CounterAdd("updates_received");
  return json{{"events", events}}.dump();
}

void TelegramChannel::Pace(const std::string& chat) {
  // Takes the chat's next slot under the lock and waits for it outside, so concurrent sends
  // to one chat go one interval apart and sends to other chats do not wait at all.
  std::chrono::steady_clock::duration wait{0};
  {
    std::lock_guard lock(mu_);
    if (next_send_.size() > 10000) next_send_.clear();  // bounded memory
    const auto now = std::chrono::steady_clock::now();
    auto& next = next_send_[chat];
    if (next > now) wait = next - now;
    next = std::max(next, now) + chat_interval_;
  }
  if (wait.count() > 0) std::this_thread::sleep_for(wait);
}

std::string TelegramChannel::Send(std::string_view message_json) {
  const auto m = json::parse(message_json, nullptr, false);
  if (!m.is_object() || !m.contains("chat_id"))
    throw sloth::Error(sloth::Status::kInvalidArgument, "expected {\"chat_id\", \"text\"}");
  const std::string chat =
      m["chat_id"].is_string() ? m["chat_id"].get<std::string>() : m["chat_id"].dump();
  json markup;
  if (m.contains("keyboard") && m["keyboard"].is_array()) {
    json rows = json::array();
    for (const auto& row : m["keyboard"]) {
      json buttons = json::array();
      for (const auto& b : row) {
        buttons.push_back({{"text", b.value("text", "")}, {"callback_data", b.value("data", "")}});
      }
      rows.push_back(buttons);
    }
    markup = {{"inline_keyboard", rows}};
  }
  json last;
  if (m.contains("photo") && m["photo"].is_object()) {
    const json& photo = m["photo"];
    const std::string ref = photo.value("file_id", photo.value("url", ""));
    if (ref.empty())
      throw sloth::Error(sloth::Status::kInvalidArgument, "photo needs file_id or url");
    json params = {{"chat_id", chat},
                   {"photo", ref},
                   {"parse_mode", "HTML"},
                   {"caption", EscapeHtml(photo.value("caption", "")).substr(0, 1024)}};
    if (!markup.is_null()) params["reply_markup"] = markup;
    Pace(chat);
    last = Call("sendPhoto", params);
  } else {
    const std::string text = m.value("text", "");
    const auto parts = SplitText(text);
    if (parts.empty()) throw sloth::Error(sloth::Status::kInvalidArgument, "text is empty");
    for (std::size_t i = 0; i < parts.size(); ++i) {
      json params = {{"chat_id", chat}, {"text", EscapeHtml(parts[i])}, {"parse_mode", "HTML"}};
      if (i + 1 == parts.size() && !markup.is_null()) params["reply_markup"] = markup;
      Pace(chat);
      last = Call("sendMessage", params);
    }
  }
  host_.CounterAdd("messages_sent");
  return json{{"message_id", last.is_object() ? std::to_string(last.value("message_id", 0)) : ""}}
      .dump();
}

std::string TelegramChannel::Poll(uint32_t timeout_ms) {
  const auto stored = host_.KvGet("offset");
  const std::int64_t offset = stored ? std::stoll(*stored) : 0;
  const int wait_s = static_cast<int>(std::clamp<uint32_t>(timeout_ms / 1000, 1, 50)) - 1;
  const json updates = Call("getUpdates",
                            {{"offset", offset},
                             {"timeout", std::max(0, wait_s)},
                             {"limit", 100},
                             {"allowed_updates", json::parse(kAllowedUpdates)}},
                            static_cast<uint32_t>(wait_s + 10) * 1000u);
  if (!updates.is_array() || updates.empty()) return json{{"received", 0}}.dump();
  json events = json::array();
  std::int64_t next = offset;
  for (const auto& u : updates) {
    try {
      Parsed p = ParseUpdate(u);
      if (p.event && !p.photo_file_id.empty()) AttachPhoto(*p.event, p.photo_file_id);
      if (p.event) events.push_back(*p.event);
      if (!p.callback_query_id.empty()) {
        try {
          Call("answerCallbackQuery", {{"callback_query_id", p.callback_query_id}}, 5000);
        } catch (const sloth::Error&) {
        }
      }
    } catch (const std::invalid_argument&) {
      continue;
    }
    next = std::max(next, u.value("update_id", std::int64_t{0}) + 1);
  }
  // Stored first, confirmed second: a crash in between only redelivers (deduplicated).
  if (!events.empty()) host_.Emit(events.dump());
  host_.KvPut("offset", std::to_string(next));
  return json{{"received", events.size()}}.dump();
}

}  // namespace telegram
