#include "fakes/fake_google.hpp"

#include <Poco/Base64Encoder.h>
#include <Poco/SHA2Engine.h>
#include <Poco/URI.h>

#include <algorithm>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace sloth::fakes {
namespace {

using json = nlohmann::json;

FakeResponse ApiError(int code, const std::string& reason, const std::string& message,
                      const std::string& domain = "global") {
  return FakeResponse::Json(
      code, json{{"error",
                  {{"errors",
                    json::array({{{"domain", domain}, {"reason", reason}, {"message", message}}})},
                   {"code", code},
                   {"message", message}}}}
                .dump());
}

FakeResponse OAuthError(int code, const std::string& error, const std::string& description) {
  return FakeResponse::Json(code,
                            json{{"error", error}, {"error_description", description}}.dump());
}

std::string S256(const std::string& verifier) {
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(verifier);
  const auto& digest = sha.digest();
  std::ostringstream out;
  Poco::Base64Encoder enc(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  enc.write(reinterpret_cast<const char*>(digest.data()), static_cast<long>(digest.size()));
  enc.close();
  return out.str();
}

// RFC 3339 ("...Z", "...+02:00") or a date (all-day) → seconds since the epoch.
std::int64_t Epoch(const std::string& t) {
  static const std::regex re(
      R"(^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(Z|([+-])(\d{2}):(\d{2})))?$)");
  std::smatch m;
  if (!std::regex_match(t, m, re)) throw std::invalid_argument("bad time " + t);
  int y = std::stoi(m[1]), mo = std::stoi(m[2]), d = std::stoi(m[3]);
  y -= mo <= 2;  // days from civil (H. Hinnant)
  const int era = (y >= 0 ? y : y - 399) / 400;
  const int yoe = y - era * 400;
  const int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  std::int64_t s = (static_cast<std::int64_t>(era) * 146097 + doe - 719468) * 86400;
  if (m[4].matched) s += std::stoi(m[4]) * 3600 + std::stoi(m[5]) * 60 + std::stoi(m[6]);
  if (m[8].matched) {
    const int off = std::stoi(m[9]) * 3600 + std::stoi(m[10]) * 60;
    s += m[8] == "+" ? -off : off;
  }
  return s;
}

std::int64_t StartOf(const json& e) {
  const json& t = e["start"];
  return Epoch(t.contains("dateTime") ? t["dateTime"].get<std::string>()
                                      : t["date"].get<std::string>());
}
std::int64_t EndOf(const json& e) {
  const json& t = e["end"];
  return Epoch(t.contains("dateTime") ? t["dateTime"].get<std::string>()
                                      : t["date"].get<std::string>());
}

std::string Query(const FakeRequest& r, const std::string& k) {
  const auto q = ParseForm(r.query);
  const auto it = q.find(k);
  return it == q.end() ? "" : it->second;
}

}  // namespace

FakeGoogle::FakeGoogle(std::string client_id, std::string client_secret)
    : client_id_(std::move(client_id)),
      client_secret_(std::move(client_secret)),
      server_([this](const FakeRequest& r) { return Handle(r); }) {}

std::string FakeGoogle::Consent(const std::string& authorization_url) {
  Poco::URI uri(authorization_url);
  std::map<std::string, std::string> q;
  for (const auto& [k, v] : uri.getQueryParameters()) q[k] = v;
  auto need = [&](const char* k, const std::string& want = "") {
    if (!q.count(k) || q[k].empty() || (!want.empty() && q[k] != want))
      throw std::runtime_error(std::string("consent refused: ") + k + "=" + q[k]);
  };
  need("client_id", client_id_);
  need("response_type", "code");
  need("redirect_uri");
  need("scope");
  need("state");
  need("code_challenge");
  need("code_challenge_method", "S256");
  need("access_type", "offline");
  std::lock_guard lock(mu_);
  const std::string code = "4/0Ab" + std::to_string(next_++) + "-consent";
  codes_[code] = {q["redirect_uri"], q["code_challenge"]};
  Poco::URI back(q["redirect_uri"]);
  back.addQueryParameter("code", code);
  back.addQueryParameter("state", q["state"]);
  back.addQueryParameter("scope", q["scope"]);
  return back.toString();
}

void FakeGoogle::FreeBusyOnly(const std::string& calendar) {
  std::lock_guard lock(mu_);
  free_busy_only_.insert(calendar);
}

void FakeGoogle::SetTokenLifetime(int seconds) {
  std::lock_guard lock(mu_);
  lifetime_s_ = seconds;
}
void FakeGoogle::ExpireAccessTokens() {
  std::lock_guard lock(mu_);
  for (auto& [k, v] : access_tokens_) v = false;
}
void FakeGoogle::ExpireSyncTokens() {
  std::lock_guard lock(mu_);
  sync_floor_ = seq_ + 1;
}
void FakeGoogle::FailNext(int count, int status) {
  std::lock_guard lock(mu_);
  fail_count_ = count;
  fail_status_ = status;
}
int FakeGoogle::refreshes() const {
  std::lock_guard lock(mu_);
  return refreshes_;
}
int FakeGoogle::revocations() const {
  std::lock_guard lock(mu_);
  return revocations_;
}
int FakeGoogle::Calls(const std::string& what) const {
  std::lock_guard lock(mu_);
  const auto it = calls_.find(what);
  return it == calls_.end() ? 0 : it->second;
}

json FakeGoogle::Changed(json e) {
  e["updated"] = "2026-11-27T00:00:00.000Z";
  e["etag"] = "\"" + std::to_string(++seq_) + "\"";
  e["_seq"] = seq_;
  return e;
}

std::string FakeGoogle::AddEvent(const std::string& calendar, const std::string& start,
                                 const std::string& end, const std::string& summary) {
  std::lock_guard lock(mu_);
  const std::string id = "ext" + std::to_string(next_++) + "abc";
  calendars_[calendar][id] = Changed({{"kind", "calendar#event"},
                                      {"id", id},
                                      {"status", "confirmed"},
                                      {"summary", summary},
                                      {"start", {{"dateTime", start}}},
                                      {"end", {{"dateTime", end}}}});
  return id;
}

void FakeGoogle::DeleteEvent(const std::string& calendar, const std::string& id) {
  std::lock_guard lock(mu_);
  auto& e = calendars_[calendar].at(id);
  e["status"] = "cancelled";
  e = Changed(e);
}

std::vector<json> FakeGoogle::Events(const std::string& calendar) const {
  std::lock_guard lock(mu_);
  std::vector<json> out;
  const auto it = calendars_.find(calendar);
  if (it == calendars_.end()) return out;
  for (const auto& [id, e] : it->second)
    if (e["status"] != "cancelled") out.push_back(e);
  return out;
}

FakeResponse FakeGoogle::Handle(const FakeRequest& r) {
  if (r.method == "POST" && r.path == "/token") return Token(r);
  if (r.method == "POST" && r.path == "/revoke") {
    const auto form = ParseForm(r.body.empty() ? r.query : r.body);
    std::lock_guard lock(mu_);
    const auto it = form.find("token");
    if (it == form.end() || !refresh_tokens_.count(it->second) || refresh_tokens_[it->second])
      return OAuthError(400, "invalid_token", "Token expired or revoked");
    refresh_tokens_[it->second] = true;
    ++revocations_;
    return FakeResponse::Json(200, "{}");
  }
  static const std::string prefix = "/calendar/v3";
  if (r.path.rfind(prefix, 0) == 0) return Calendar(r, r.path.substr(prefix.size()));
  return ApiError(404, "notFound", "Not Found");
}

FakeResponse FakeGoogle::Token(const FakeRequest& r) {
  if (r.Header("content-type").rfind("application/x-www-form-urlencoded", 0) != 0)
    return OAuthError(400, "invalid_request", "Expected a form body");
  auto form = ParseForm(r.body);
  std::lock_guard lock(mu_);
  if (form["client_id"] != client_id_ || form["client_secret"] != client_secret_)
    return OAuthError(401, "invalid_client", "The OAuth client was not found.");
  const std::string grant = form["grant_type"];
  auto issue = [&](bool with_refresh) {
    const std::string access = "ya29.fake-" + std::to_string(next_++);
    access_tokens_[access] = true;
    json out = {{"access_token", access},
                {"expires_in", lifetime_s_},
                {"scope", "https://www.googleapis.com/auth/calendar"},
                {"token_type", "Bearer"}};
    if (with_refresh) {
      const std::string refresh = "1//fake-refresh-" + std::to_string(next_++);
      refresh_tokens_[refresh] = false;
      out["refresh_token"] = refresh;
    }
    return FakeResponse::Json(200, out.dump());
  };
  if (grant == "authorization_code") {
    const auto it = codes_.find(form["code"]);
    if (it == codes_.end()) return OAuthError(400, "invalid_grant", "Malformed auth code.");
    const Code code = it->second;
    codes_.erase(it);  // a code is good once
    if (code.redirect_uri != form["redirect_uri"])
      return OAuthError(400, "redirect_uri_mismatch", "Bad Request");
    if (S256(form["code_verifier"]) != code.challenge)
      return OAuthError(400, "invalid_grant", "Invalid code verifier.");
    return issue(true);
  }
  if (grant == "refresh_token") {
    const auto it = refresh_tokens_.find(form["refresh_token"]);
    if (it == refresh_tokens_.end() || it->second)
      return OAuthError(400, "invalid_grant", "Token has been expired or revoked.");
    ++refreshes_;
    return issue(false);
  }
  return OAuthError(400, "unsupported_grant_type", "Invalid grant_type: " + grant);
}

FakeResponse FakeGoogle::Calendar(const FakeRequest& r, const std::string& rest) {
  static const std::regex events_re(R"(^/calendars/([^/]+)/events(?:/([^/]+))?$)");
  std::lock_guard lock(mu_);
  std::string kind = "other";
  std::smatch m;
  const bool events_path = std::regex_match(rest, m, events_re);
  if (rest == "/freeBusy")
    kind = "freebusy";
  else if (events_path && !m[2].matched)
    kind = r.method == "POST" ? "insert" : "list";
  else if (events_path)
    kind = r.method == "PATCH" ? "patch" : r.method == "DELETE" ? "delete" : "get";
  ++calls_[r.method + " " + kind];

  const std::string auth = r.Header("authorization");
  const std::string token = auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : "";
  const auto tok = access_tokens_.find(token);
  if (tok == access_tokens_.end() || !tok->second)
    return ApiError(401, "authError", "Invalid Credentials");
  if (fail_count_ > 0) {
    --fail_count_;
    if (fail_status_ == 403)
      return ApiError(403, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits");
    if (fail_status_ == 429)
      return ApiError(429, "rateLimitExceeded", "Rate Limit Exceeded", "usageLimits");
    return ApiError(fail_status_, "backendError", "Backend Error");
  }

  if (kind == "freebusy") {
    const json body = json::parse(r.body, nullptr, false);
    if (!body.is_object() || !body.contains("timeMin") || !body.contains("timeMax"))
      return ApiError(400, "badRequest", "Missing timeMin or timeMax");
    const auto from = Epoch(body["timeMin"]), to = Epoch(body["timeMax"]);
    if (from >= to) return ApiError(400, "timeRangeEmpty", "The specified time range is empty.");
    json cals = json::object();
    for (const auto& item : body.value("items", json::array())) {
      const std::string id = item.value("id", "");
      const auto it = calendars_.find(id);
      if (it == calendars_.end() && id != "primary") {
        cals[id] = {{"errors", json::array({{{"domain", "global"}, {"reason", "notFound"}}})},
                    {"busy", json::array()}};
        continue;
      }
      json busy = json::array();
      if (it != calendars_.end())
        for (const auto& [eid, e] : it->second)
          if (e["status"] != "cancelled" && e.value("transparency", "") != "transparent" &&
              StartOf(e) < to && EndOf(e) > from)
            busy.push_back({{"start", e["start"].value("dateTime", "")},
                            {"end", e["end"].value("dateTime", "")}});
      cals[id] = {{"busy", busy}};
    }
    return FakeResponse::Json(200, json{{"kind", "calendar#freeBusy"},
                                        {"timeMin", body["timeMin"]},
                                        {"timeMax", body["timeMax"]},
                                        {"calendars", cals}}
                                       .dump());
  }
  if (!events_path) return ApiError(404, "notFound", "Not Found");
  const std::string cal = m[1];  // getPath() has decoded it
  if (free_busy_only_.count(cal))
    return ApiError(403, "forbidden", "Not Found or insufficient permissions");
  auto& events = calendars_[cal];

  if (kind == "insert") {
    json e = json::parse(r.body, nullptr, false);
    if (!e.is_object() || !e.contains("start") || !e.contains("end"))
      return ApiError(400, "required", "Missing start or end");
    if (e.contains("id")) {
      static const std::regex id_re("^[a-v0-9]{5,1024}$");
      const std::string id = e.value("id", "");
      if (!std::regex_match(id, id_re))
        return ApiError(400, "invalid", "Invalid resource id value.");
      if (events.count(id))
        return ApiError(409, "duplicate", "The requested identifier already exists.");
    } else {
      e["id"] = "gen" + std::to_string(next_++) + "aa";
    }
    e["kind"] = "calendar#event";
    e["status"] = "confirmed";
    e["htmlLink"] = "https://www.google.com/calendar/event?eid=" + e["id"].get<std::string>();
    e = Changed(e);
    events[e["id"]] = e;
    json out = e;
    out.erase("_seq");
    return FakeResponse::Json(200, out.dump());
  }
  if (kind == "patch" || kind == "delete" || kind == "get") {
    const std::string id = m[2];
    const auto it = events.find(id);
    if (it == events.end()) return ApiError(404, "notFound", "Not Found");
    if (it->second["status"] == "cancelled")
      return ApiError(410, "deleted", "Resource has been deleted");
    if (kind == "delete") {
      it->second["status"] = "cancelled";
      it->second = Changed(it->second);
      FakeResponse gone;
      gone.status = 204;
      gone.content_type = "";
      return gone;
    }
    if (kind == "patch") {
      const json patch = json::parse(r.body, nullptr, false);
      if (!patch.is_object()) return ApiError(400, "parseError", "Parse Error");
      json e = it->second;
      for (const auto& [k, v] : patch.items())
        if (k != "id") e[k] = v;
      it->second = Changed(e);
    }
    json out = it->second;
    out.erase("_seq");
    return FakeResponse::Json(200, out.dump());
  }
  // list
  const std::string sync = Query(r, "syncToken");
  const std::string page = Query(r, "pageToken");
  const int max =
      std::clamp(Query(r, "maxResults").empty() ? 250 : std::stoi(Query(r, "maxResults")), 1, 2500);
  std::vector<json> items;
  if (!sync.empty()) {
    if (!Query(r, "timeMin").empty() || !Query(r, "timeMax").empty())
      return ApiError(400, "invalid", "Sync token cannot be used with timeMin or timeMax.");
    if (sync.rfind("sync-", 0) != 0) return ApiError(400, "invalid", "Invalid sync token value.");
    const std::int64_t since = std::stoll(sync.substr(5));
    if (since < sync_floor_)
      return ApiError(410, "fullSyncRequired",
                      "Sync token is no longer valid, a full sync is required.");
    for (const auto& [id, e] : events) {
      if (e["_seq"].get<std::int64_t>() <= since) continue;
      if (e["status"] == "cancelled")
        items.push_back(
            {{"kind", "calendar#event"}, {"etag", e["etag"]}, {"id", id}, {"status", "cancelled"}});
      else
        items.push_back(e);
    }
  } else {
    const std::string tmin = Query(r, "timeMin");
    const bool deleted = Query(r, "showDeleted") == "true";
    for (const auto& [id, e] : events) {
      if (e["status"] == "cancelled" && !deleted) continue;
      if (!tmin.empty() && EndOf(e) <= Epoch(tmin)) continue;
      items.push_back(e);
    }
  }
  const std::size_t offset = page.empty() ? 0 : std::stoul(page.substr(1));
  json out = {{"kind", "calendar#events"}, {"timeZone", "UTC"}, {"items", json::array()}};
  for (std::size_t i = offset; i < items.size() && i < offset + static_cast<std::size_t>(max);
       ++i) {
    json e = items[i];
    e.erase("_seq");
    out["items"].push_back(e);
  }
  if (offset + static_cast<std::size_t>(max) < items.size())
    out["nextPageToken"] = "p" + std::to_string(offset + static_cast<std::size_t>(max));
  else
    out["nextSyncToken"] = "sync-" + std::to_string(seq_);
  return FakeResponse::Json(200, out.dump());
}

}  // namespace sloth::fakes
