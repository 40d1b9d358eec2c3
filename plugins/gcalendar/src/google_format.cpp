#include "google_format.hpp"

#include <algorithm>
#include <cstdlib>

namespace gcalendar {

using json = nlohmann::json;

std::string UrlEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

json EventBody(const json& in, bool with_id) {
  json e = json::object();
  if (with_id) e["id"] = in.at("event_id").get<std::string>();
  e["summary"] = in.value("summary", "");
  if (in.contains("description")) e["description"] = in["description"];
  auto when = [&](const char* key) {
    json t = {{"dateTime", in.at(key).get<std::string>()}};
    if (in.contains("time_zone")) t["timeZone"] = in["time_zone"];
    return t;
  };
  e["start"] = when("start");
  e["end"] = when("end");
  if (in.contains("booking_id"))
    e["extendedProperties"] = {
        {"private",
         {{"bookingId", in["booking_id"].is_string() ? in["booking_id"].get<std::string>()
                                                     : in["booking_id"].dump()}}}};
  return e;
}

json ReadEvent(const json& item) {
  json out = {{"id", item.value("id", "")}, {"status", item.value("status", "confirmed")}};
  auto time_of = [](const json& t) -> json {
    if (!t.is_object()) return nullptr;
    if (t.contains("dateTime")) return t["dateTime"];
    if (t.contains("date")) return t["date"].get<std::string>() + "T00:00:00Z";
    return nullptr;
  };
  const json start = time_of(item.value("start", json()));
  const json end = time_of(item.value("end", json()));
  if (!start.is_null()) out["start"] = start;
  if (!end.is_null()) out["end"] = end;
  out["busy"] = out["status"] != "cancelled" && item.value("transparency", "") != "transparent" &&
                !start.is_null() && !end.is_null();
  const json priv =
      item.value("extendedProperties", json::object()).value("private", json::object());
  if (priv.is_object() && priv.contains("bookingId") && priv["bookingId"].is_string())
    out["booking_id"] = priv["bookingId"];
  return out;
}

Failure ReadFailure(int status, const std::string& body,
                    const std::optional<std::string>& retry_after) {
  Failure f;
  f.status = status;
  const json j = json::parse(body, nullptr, false);
  const json err = j.is_object() && j.value("error", json()).is_object() ? j["error"] : json();
  if (err.is_object()) {
    if (err.value("message", json()).is_string()) f.message = err["message"];
    const json errors = err.value("errors", json::array());
    if (errors.is_array() && !errors.empty() && errors[0].is_object() &&
        errors[0].value("reason", json()).is_string())
      f.reason = errors[0]["reason"];
  } else if (j.is_object() && j.value("error", json()).is_string()) {
    f.reason = j["error"];  // the OAuth token endpoint's envelope
    f.message = j.value("error_description", "");
  }
  static const char* kRateReasons[] = {"rateLimitExceeded", "userRateLimitExceeded",
                                       "quotaExceeded"};
  const bool rate_403 =
      status == 403 && std::any_of(std::begin(kRateReasons), std::end(kRateReasons),
                                   [&](const char* r) { return f.reason == r; });
  f.retry = rate_403 || status == 429 || status >= 500;
  f.auth = status == 401;
  if (retry_after) {
    const long s = std::atol(retry_after->c_str());
    if (s > 0 && s <= 120) f.delay = std::chrono::seconds(s);
  }
  return f;
}

std::chrono::milliseconds Backoff(int attempt, std::chrono::milliseconds base, double jitter) {
  const auto full = base * (1LL << std::min(attempt, 5));
  return std::chrono::milliseconds(
      static_cast<long long>(static_cast<double>(full.count()) * (1.0 - 0.25 * jitter)));
}

}  // namespace gcalendar
