#include "google_calendar.hpp"

#include <random>
#include <thread>

#include "google_format.hpp"
#include "text.hpp"

namespace gcalendar {

using json = nlohmann::json;
using sloth::Error;
using sloth::Status;

namespace {

constexpr uint32_t kTimeoutMs = 15000;
// A sync never reads more than this many events in one call (a calendar with years of
// history is read from time_min on; this bounds a pathological one).
constexpr std::size_t kMaxEvents = 20000;

Status StatusOf(int http) {
  if (http == 401) return Status::kUnauthenticated;
  if (http == 403) return Status::kUnauthenticated;  // no access to that calendar
  if (http == 404 || http == 410) return Status::kNotFound;
  if (http == 429) return Status::kRateLimited;
  if (http >= 500) return Status::kUnavailable;
  return Status::kInvalidArgument;
}

std::string Str(const json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_string() || j[key].get<std::string>().empty())
    throw Error(Status::kInvalidArgument, std::string("\"") + key + "\" is required");
  return j[key];
}

json Parse(std::string_view text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) throw Error(Status::kInvalidArgument, "the request is not a JSON object");
  return j;
}

}  // namespace

GoogleCalendar::GoogleCalendar(const sloth::InstanceArgs& args) : host_(args.host) {
  const json platform = json::parse(host_.PluginConfig(), nullptr, false);
  const json p = platform.is_object() ? platform : json::object();
  client_id_ = p.value("client_id", "");
  client_secret_ = host_.Secret("client_secret").value_or("");
  auth_url_ = p.value("auth_url", "https://accounts.google.com/o/oauth2/v2/auth");
  token_url_ = p.value("token_url", "https://oauth2.googleapis.com/token");
  revoke_url_ = p.value("revoke_url", "https://oauth2.googleapis.com/revoke");
  api_base_ = sloth_plugins::BaseUrl(p.value("api_base", "https://www.googleapis.com/calendar/v3"));
  scope_ = p.value("scope", "https://www.googleapis.com/auth/calendar");
  max_retries_ = p.value("max_retries", 4);
  backoff_ = std::chrono::milliseconds(p.value("backoff_ms", 500));
  const json c = json::parse(args.config_json, nullptr, false);
  if (c.is_object()) {
    refresh_token_ = c.value("refresh_token", "");
    calendar_id_ = c.value("calendar_id", "primary");
  }
}

std::string GoogleCalendar::AuthorizeUrl(std::string_view request_json) {
  const json r = Parse(request_json);
  if (client_id_.empty())
    throw Error(Status::kUnavailable,
                "the platform has no Google OAuth client: set plugins.config.gcalendar.client_id");
  const std::string url = auth_url_ + "?client_id=" + UrlEncode(client_id_) +
                          "&redirect_uri=" + UrlEncode(Str(r, "redirect_uri")) +
                          "&response_type=code&scope=" + UrlEncode(scope_) +
                          "&access_type=offline&prompt=consent&include_granted_scopes=true" +
                          "&state=" + UrlEncode(Str(r, "state")) +
                          "&code_challenge=" + UrlEncode(Str(r, "code_challenge")) +
                          "&code_challenge_method=S256";
  return json{{"url", url}}.dump();
}

json GoogleCalendar::TokenRequest(const std::string& form) {
  sloth::HttpRequest req;
  req.method = "POST";
  req.url = token_url_;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                 {"Accept", "application/json"}};
  req.body = form;
  req.timeout_ms = kTimeoutMs;
  req.max_retries = 2;  // a token request is safe to repeat
  const auto resp = host_.Http(req);
  json body = json::parse(resp.body, nullptr, false);
  if (resp.status >= 200 && resp.status < 300 && body.is_object() && body.contains("access_token"))
    return body;
  const auto f = ReadFailure(resp.status, resp.body, std::nullopt);
  if (f.reason == "invalid_grant")
    throw Error(Status::kUnauthenticated, "gcalendar: Google refused the grant (" + f.message +
                                              "); the salon must connect Google Calendar again");
  throw Error(resp.status >= 500 ? Status::kUnavailable : StatusOf(resp.status),
              "gcalendar: token endpoint answered HTTP " + std::to_string(resp.status) + " " +
                  f.reason + " " + f.message);
}

std::string GoogleCalendar::ExchangeCode(std::string_view request_json) {
  const json r = Parse(request_json);
  const json t = TokenRequest("grant_type=authorization_code&code=" + UrlEncode(Str(r, "code")) +
                              "&redirect_uri=" + UrlEncode(Str(r, "redirect_uri")) +
                              "&client_id=" + UrlEncode(client_id_) +
                              "&client_secret=" + UrlEncode(client_secret_) +
                              "&code_verifier=" + UrlEncode(Str(r, "code_verifier")));
  if (!t.value("refresh_token", json()).is_string())
    throw Error(Status::kInvalidArgument,
                "gcalendar: Google granted no refresh token (consent must ask for offline access)");
  return json{{"credentials", {{"refresh_token", t["refresh_token"]}}},
              {"scope", t.value("scope", "")}}
      .dump();
}

std::string GoogleCalendar::AccessToken(bool force) {
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (!force && !access_token_.empty() && now + std::chrono::minutes(4) < expires_)
    return access_token_;
  if (refresh_token_.empty())
    throw Error(Status::kUnauthenticated, "gcalendar: not connected (no refresh token)");
  const json t = TokenRequest("grant_type=refresh_token&client_id=" + UrlEncode(client_id_) +
                              "&client_secret=" + UrlEncode(client_secret_) +
                              "&refresh_token=" + UrlEncode(refresh_token_));
  access_token_ = t["access_token"].get<std::string>();
  expires_ = now + std::chrono::seconds(t.value("expires_in", 3599));
  // Google may rotate the refresh token; the new one serves this instance's lifetime (the
  // sealed one stays valid until revoked).
  if (t.value("refresh_token", json()).is_string()) refresh_token_ = t["refresh_token"];
  return access_token_;
}

GoogleCalendar::Answer GoogleCalendar::Api(const std::string& method, const std::string& path,
                                           const json* body) {
  sloth::HttpRequest req;
  req.method = method;
  req.url = api_base_ + path;
  req.timeout_ms = kTimeoutMs;
  if (body) req.body = body->dump();
  static thread_local std::mt19937 rng{std::random_device{}()};
  bool refreshed = false;
  std::string token = AccessToken(false);
  for (int attempt = 0;;) {
    req.headers = {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}};
    if (body) req.headers.emplace_back("Content-Type", "application/json");
    Answer a;
    std::optional<Failure> f;
    try {
      const auto resp = host_.Http(req);
      a.status = resp.status;
      a.raw = resp.body;
      a.body = json::parse(resp.body, nullptr, false);
      if (resp.status >= 200 && resp.status < 300) return a;
      f = ReadFailure(resp.status, resp.body, resp.Header("retry-after"));
    } catch (const Error& e) {
      if (e.status() == Status::kInvalidArgument) throw;  // refused before sending
      f = Failure{true, false, {}, 0, "", e.what()};
    }
    if (f->auth && !refreshed) {
      refreshed = true;  // once: a second 401 with a fresh token is a real refusal
      token = AccessToken(true);
      continue;
    }
    if (!f->retry || attempt >= max_retries_) {
      if (a.status == 0) throw Error(Status::kUnavailable, "gcalendar: " + f->message);
      return a;
    }
    const auto wait =
        f->delay.count() > 0
            ? f->delay
            : Backoff(attempt, backoff_, std::uniform_real_distribution<double>(0, 1)(rng));
    host_.Debug("gcalendar: HTTP " + std::to_string(f->status) + " " + f->reason +
                ", retrying in " + std::to_string(wait.count()) + " ms");
    std::this_thread::sleep_for(wait);
    ++attempt;
    token = AccessToken(false);
  }
}

void GoogleCalendar::Fail(const Answer& a, const std::string& what) const {
  const auto f = ReadFailure(a.status, a.raw, std::nullopt);
  throw Error(StatusOf(a.status), "gcalendar: " + what + ": HTTP " + std::to_string(a.status) +
                                      (f.reason.empty() ? "" : " " + f.reason) +
                                      (f.message.empty() ? "" : ": " + f.message));
}

std::string GoogleCalendar::CalendarPath(std::string_view calendar_id) const {
  return "/calendars/" + UrlEncode(calendar_id.empty() ? calendar_id_ : calendar_id);
}

std::string GoogleCalendar::FreeBusy(std::string_view request_json) {
  const json r = Parse(request_json);
  const std::string cal = r.value("calendar_id", calendar_id_);
  const json body = {{"timeMin", Str(r, "time_min")},
                     {"timeMax", Str(r, "time_max")},
                     {"timeZone", "UTC"},
                     {"items", json::array({{{"id", cal}}})}};
  const auto a = Api("POST", "/freeBusy", &body);
  if (a.status < 200 || a.status >= 300) Fail(a, "freeBusy");
  const json c = a.body.value("calendars", json::object()).value(cal, json::object());
  if (c.contains("errors") && c["errors"].is_array() && !c["errors"].empty())
    throw Error(Status::kNotFound,
                "gcalendar: freeBusy of " + cal + ": " + c["errors"][0].value("reason", "error"));
  json busy = json::array();
  for (const auto& b : c.value("busy", json::array()))
    if (b.is_object() && b.contains("start") && b.contains("end"))
      busy.push_back({{"start", b["start"]}, {"end", b["end"]}});
  return json{{"busy", busy}}.dump();
}

std::string GoogleCalendar::CreateEvent(std::string_view event_json) {
  const json in = Parse(event_json);
  const std::string id = Str(in, "event_id");
  const json body = EventBody(in, true);
  const auto a =
      Api("POST", CalendarPath(in.value("calendar_id", "")) + "/events?sendUpdates=none", &body);
  // The id is ours: a 409 means an earlier attempt already made this event.
  if (a.status == 409) return json{{"event_id", id}, {"duplicate", true}}.dump();
  if (a.status < 200 || a.status >= 300) Fail(a, "events.insert");
  return json{{"event_id", a.body.value("id", id)}, {"etag", a.body.value("etag", "")}}.dump();
}

std::string GoogleCalendar::UpdateEvent(std::string_view event_json) {
  const json in = Parse(event_json);
  const std::string id = Str(in, "event_id");
  const json body = EventBody(in, false);
  const auto a = Api(
      "PATCH",
      CalendarPath(in.value("calendar_id", "")) + "/events/" + UrlEncode(id) + "?sendUpdates=none",
      &body);
  if (a.status < 200 || a.status >= 300) Fail(a, "events.patch");
  return json{{"event_id", id}, {"etag", a.body.value("etag", "")}}.dump();
}

void GoogleCalendar::DeleteEvent(std::string_view calendar_id, std::string_view event_id) {
  const auto a = Api(
      "DELETE", CalendarPath(calendar_id) + "/events/" + UrlEncode(event_id) + "?sendUpdates=none",
      nullptr);
  if (a.status == 404 || a.status == 410) return;  // already gone: what we wanted
  if (a.status < 200 || a.status >= 300) Fail(a, "events.delete");
}

std::string GoogleCalendar::ListEvents(std::string_view request_json) {
  const json r = Parse(request_json);
  const std::string base = CalendarPath(r.value("calendar_id", "")) + "/events?singleEvents=true";
  std::string token = r.value("sync_token", "");
  bool full = token.empty();
  json events = json::array();
  std::string page;
  for (;;) {
    std::string path = base + "&maxResults=250";
    if (full) {
      path += "&showDeleted=false";
      if (r.contains("time_min")) path += "&timeMin=" + UrlEncode(Str(r, "time_min"));
    } else {
      path += "&syncToken=" + UrlEncode(token);
    }
    if (!page.empty()) path += "&pageToken=" + UrlEncode(page);
    const auto a = Api("GET", path, nullptr);
    if (a.status == 410 && !full) {
      // The token expired (or the calendar's sharing changed): read everything again.
      host_.Info("gcalendar: sync token expired (410); full resync");
      full = true;
      events = json::array();
      page.clear();
      continue;
    }
    if (a.status < 200 || a.status >= 300) Fail(a, "events.list");
    for (const auto& item : a.body.value("items", json::array())) {
      if (item.is_object()) events.push_back(ReadEvent(item));
      if (events.size() > kMaxEvents)
        throw Error(Status::kInvalidArgument, "gcalendar: the calendar has more than " +
                                                  std::to_string(kMaxEvents) +
                                                  " events from time_min on");
    }
    if (a.body.value("nextPageToken", json()).is_string()) {
      page = a.body["nextPageToken"];
      continue;
    }
    return json{
        {"events", events}, {"sync_token", a.body.value("nextSyncToken", "")}, {"full", full}}
        .dump();
  }
}

void GoogleCalendar::Revoke() {
  if (refresh_token_.empty()) return;
  sloth::HttpRequest req;
  req.method = "POST";
  req.url = revoke_url_;
  req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}};
  req.body = "token=" + UrlEncode(refresh_token_);
  req.timeout_ms = kTimeoutMs;
  req.max_retries = 2;
  const auto resp = host_.Http(req);
  // 400 invalid_token: already revoked (by the salon in its Google account).
  if (resp.status == 200 || resp.status == 400) return;
  throw Error(StatusOf(resp.status),
              "gcalendar: revoke answered HTTP " + std::to_string(resp.status));
}

}  // namespace gcalendar
