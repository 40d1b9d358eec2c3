#pragma once

// Google Calendar API v3 and OAuth 2 wire formats without the ABI glue, so unit tests
// exercise them directly: the event body Sloth writes, the event it reads back, which
// error answers are retried, and form/URL encoding.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace gcalendar {

// application/x-www-form-urlencoded / RFC 3986 unreserved-only percent-encoding.
std::string UrlEncode(std::string_view s);

// The Google event for a booking: {"calendar_id", "event_id", "summary", "start", "end",
// "description"?, "time_zone"?, "booking_id"?} → events.insert / events.patch body.
nlohmann::json EventBody(const nlohmann::json& input, bool with_id);

// One item of events.list → {"id", "status", "start"?, "end"?, "busy", "booking_id"?}.
// All-day events (start.date) span their dates in UTC; "busy" is false for events marked
// free (transparency "transparent") and for cancelled ones.
nlohmann::json ReadEvent(const nlohmann::json& item);

struct Failure {
  bool retry = false;                  // rate limits (403 usageLimits reasons, 429) and 5xx
  bool auth = false;                   // 401: refresh the access token once and repeat
  std::chrono::milliseconds delay{0};  // the server's Retry-After, when sane
  int status = 0;
  std::string reason, message;
};

// A non-2xx answer of the Calendar API (its error envelope).
Failure ReadFailure(int status, const std::string& body,
                    const std::optional<std::string>& retry_after);

// The wait before retry `attempt` (0-based): base·2^attempt, capped at 32·base, less up to
// a quarter of jitter in [0, 1).
std::chrono::milliseconds Backoff(int attempt, std::chrono::milliseconds base, double jitter);

}  // namespace gcalendar
