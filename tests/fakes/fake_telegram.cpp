#include "fakes/fake_telegram.hpp"

#include <algorithm>
#include <regex>

namespace sloth::fakes {
namespace {

using json = nlohmann::json;

FakeResponse Ok(const json& result) {
  return FakeResponse::Json(200, json{{"ok", true}, {"result", result}}.dump());
}

FakeResponse Fail(int code, const std::string& description, const json& parameters = nullptr) {
  json body = {{"ok", false}, {"error_code", code}, {"description", description}};
  if (!parameters.is_null()) body["parameters"] = parameters;
  return FakeResponse::Json(code, body.dump());
}

}  // namespace

FakeTelegram::FakeTelegram(std::string token)
    : token_(std::move(token)), server_([this](const FakeRequest& r) { return Handle(r); }) {}

json FakeTelegram::Params(const FakeRequest& r) const {
  json p = json::object();
  for (const auto& [k, v] : ParseForm(r.query)) p[k] = v;
  const std::string type = r.Header("content-type");
  if (type.rfind("application/json", 0) == 0) {
    const auto body = json::parse(r.body, nullptr, false);
    if (body.is_object()) p.update(body);
  } else if (type.rfind("application/x-www-form-urlencoded", 0) == 0) {
    for (const auto& [k, v] : ParseForm(r.body)) p[k] = v;
  }
  return p;
}

FakeResponse FakeTelegram::Handle(const FakeRequest& r) {
  static const std::regex route(R"(^/bot(\d+:[\w-]+)/(\w+)$)");
  static const std::regex file_route(R"(^/file/bot(\d+:[\w-]+)/(.+)$)");
  std::smatch m;
  if (std::regex_match(r.path, m, file_route)) {
    if (m[1] != token_) return Fail(401, "Unauthorized");
    FakeResponse jpeg;
    jpeg.content_type = "image/jpeg";
    jpeg.body = std::string("\xFF\xD8\xFF\xE0", 4) + "JFIF-fake-photo-" + std::string(m[2]);
    return jpeg;
  }
  if (!std::regex_match(r.path, m, route)) return Fail(404, "Not Found");
  if (m[1] != token_) return Fail(401, "Unauthorized: invalid token specified");
  std::string method = m[2];
  std::transform(method.begin(), method.end(), method.begin(), ::tolower);
  const json p = Params(r);

  if (method == "getme") {
    std::unique_lock lock(mu_);
    if (hold_verification_) {
      ++held_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return !hold_verification_; });
      --held_;
    }
    return Ok({{"id", 7000000001LL},
               {"is_bot", true},
               {"first_name", "Salon bot"},
               {"username", "salon_test_bot"},
               {"can_join_groups", true},
               {"can_read_all_group_messages", false},
               {"supports_inline_queries", false}});
  }
  if (method == "setwebhook") {
    std::lock_guard lock(mu_);
    webhook_url_ = p.value("url", "");
    webhook_secret_ = p.value("secret_token", "");
    return Ok(true);
  }
  if (method == "deletewebhook") {
    std::lock_guard lock(mu_);
    webhook_url_.clear();
    webhook_secret_.clear();
    return Ok(true);
  }
  if (method == "getfile") {
    const std::string id = p.value("file_id", "");
    if (id.empty()) return Fail(400, "Bad Request: file_id is empty");
    return Ok({{"file_id", id},
               {"file_unique_id", "u" + id},
               {"file_size", 1000},
               {"file_path", "photos/file_" + id + ".jpg"}});
  }
  if (method == "answercallbackquery") {
    std::lock_guard lock(mu_);
    callbacks_.push_back(p.value("callback_query_id", ""));
    return Ok(true);
  }
  if (method == "getupdates") {
    std::unique_lock lock(mu_);
    if (!webhook_url_.empty()) {
      return Fail(409,
                  "Conflict: can't use getUpdates method while webhook is active; use "
                  "deleteWebhook to delete the webhook first");
    }
    const auto offset = p.contains("offset")
                            ? std::stoll(p["offset"].is_string() ? p["offset"].get<std::string>()
                                                                 : p["offset"].dump())
                            : 0LL;
    const int timeout = std::clamp(
        p.contains("timeout") ? std::stoi(p["timeout"].is_string() ? p["timeout"].get<std::string>()
                                                                   : p["timeout"].dump())
                              : 0,
        0, 50);
    auto pending = [&] {
      json out = json::array();
      for (const auto& u : redeliver_) out.push_back(u);
      for (const auto& u : updates_) {
        if (u["update_id"].get<long long>() >= offset) out.push_back(u);
      }
      return out;
    };
    // Confirming an offset forgets the earlier updates, as Telegram does.
    updates_.erase(
        std::remove_if(updates_.begin(), updates_.end(),
                       [&](const json& u) { return u["update_id"].get<long long>() < offset; }),
        updates_.end());
    ++polls_open_;
    cv_.wait_for(lock, std::chrono::seconds(timeout), [&] { return !pending().empty(); });
    --polls_open_;
    const json out = pending();
    redeliver_.clear();
    ++polls_;
    return Ok(out);
  }
  if (method == "sendmessage" || method == "sendphoto") {
    std::lock_guard lock(mu_);
    attempts_.push_back({method, p, std::chrono::steady_clock::now(), polls_open_ > 0});
    if (rate_limit_count_ > 0) {
      --rate_limit_count_;
      auto resp = Fail(429, "Too Many Requests: retry after " + std::to_string(rate_limit_seconds_),
                       {{"retry_after", rate_limit_seconds_}});
      resp.headers.emplace_back("Retry-After", std::to_string(rate_limit_seconds_));
      return resp;
    }
    if (!p.contains("chat_id")) return Fail(400, "Bad Request: chat_id is empty");
    if (method == "sendmessage" && p.value("text", "").empty())
      return Fail(400, "Bad Request: message text is empty");
    if (method == "sendmessage" && p.value("text", "").size() > 4096 * 6)
      return Fail(400, "Bad Request: message is too long");
    sent_.push_back({method, p, std::chrono::steady_clock::now(), polls_open_ > 0});
    cv_.notify_all();
    const json chat_id = p["chat_id"];
    return Ok({{"message_id", next_message_id_++},
               {"date", 1700000000},
               {"chat", {{"id", chat_id}, {"type", "private"}}},
               {"text", p.value("text", "")}});
  }
  return Fail(404, "Not Found: method not found");
}

std::vector<FakeTelegram::Sent> FakeTelegram::sent() const {
  std::lock_guard lock(mu_);
  return sent_;
}
std::vector<FakeTelegram::Sent> FakeTelegram::attempts() const {
  std::lock_guard lock(mu_);
  return attempts_;
}
std::vector<std::string> FakeTelegram::answered_callbacks() const {
  std::lock_guard lock(mu_);
  return callbacks_;
}
std::string FakeTelegram::webhook_url() const {
  std::lock_guard lock(mu_);
  return webhook_url_;
}
std::string FakeTelegram::webhook_secret() const {
  std::lock_guard lock(mu_);
  return webhook_secret_;
}
void FakeTelegram::RateLimitNext(int count, int seconds) {
  std::lock_guard lock(mu_);
  rate_limit_count_ = count;
  rate_limit_seconds_ = seconds;
}
void FakeTelegram::AddUpdate(const json& update) {
  std::lock_guard lock(mu_);
  updates_.push_back(update);
  cv_.notify_all();
}
void FakeTelegram::Redeliver(const json& update) {
  std::lock_guard lock(mu_);
  redeliver_.push_back(update);
  cv_.notify_all();
}
int FakeTelegram::polls() const {
  std::lock_guard lock(mu_);
  return polls_;
}
bool FakeTelegram::WaitForSent(std::size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return sent_.size() >= n; });
}

void FakeTelegram::HoldVerification() {
  std::lock_guard lock(mu_);
  hold_verification_ = true;
}

void FakeTelegram::ReleaseVerification() {
  {
    std::lock_guard lock(mu_);
    hold_verification_ = false;
  }
  cv_.notify_all();
}

bool FakeTelegram::WaitForHeld(int n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return held_ >= n; });
}

}  // namespace sloth::fakes
