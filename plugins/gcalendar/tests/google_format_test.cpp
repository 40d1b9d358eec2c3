#include "google_format.hpp"

#include <gtest/gtest.h>

namespace gcalendar {
namespace {

using json = nlohmann::json;

TEST(GoogleFormat, TheEventCarriesOurIdAndTheBookingId) {
  const json in = {{"calendar_id", "anna@salon.test"},
                   {"event_id", "sloth0000000001b000000000042"},
                   {"summary", "Manicure – Olena"},
                   {"start", "2026-12-01T10:00:00+02:00"},
                   {"end", "2026-12-01T11:00:00+02:00"},
                   {"time_zone", "Europe/Kyiv"},
                   {"booking_id", 42}};
  const json e = EventBody(in, true);
  EXPECT_EQ(e["id"], "sloth0000000001b000000000042");
  EXPECT_EQ(e["start"]["dateTime"], "2026-12-01T10:00:00+02:00");
  EXPECT_EQ(e["start"]["timeZone"], "Europe/Kyiv");
  EXPECT_EQ(e["extendedProperties"]["private"]["bookingId"], "42");
  EXPECT_FALSE(EventBody(in, false).contains("id"));  // a patch never renames
}

TEST(GoogleFormat, ReadsTimedAllDayFreeAndCancelledEvents) {
  auto e = ReadEvent(json::parse(R"({"id":"a1","status":"confirmed",
      "start":{"dateTime":"2026-12-01T10:00:00+02:00"},"end":{"dateTime":"2026-12-01T10:30:00+02:00"},
      "extendedProperties":{"private":{"bookingId":"7"}}})"));
  EXPECT_TRUE(e["busy"].get<bool>());
  EXPECT_EQ(e["booking_id"], "7");
  e = ReadEvent(
      json::parse(R"({"id":"a2","start":{"date":"2026-12-24"},"end":{"date":"2026-12-25"}})"));
  EXPECT_EQ(e["start"], "2026-12-24T00:00:00Z");
  EXPECT_EQ(e["end"], "2026-12-25T00:00:00Z");
  EXPECT_TRUE(e["busy"].get<bool>());
  e = ReadEvent(json::parse(R"({"id":"a3","transparency":"transparent",
      "start":{"dateTime":"2026-12-01T10:00:00Z"},"end":{"dateTime":"2026-12-01T11:00:00Z"}})"));
  EXPECT_FALSE(e["busy"].get<bool>());
  e = ReadEvent(json::parse(R"({"id":"a4","status":"cancelled"})"));  // a deletion in a sync
  EXPECT_FALSE(e["busy"].get<bool>());
  EXPECT_FALSE(e.contains("start"));
}

TEST(GoogleFormat, RetriesRateLimitsAndServerErrorsOnly) {
  auto f = ReadFailure(403, R"({"error":{"errors":[{"domain":"usageLimits",
      "reason":"rateLimitExceeded","message":"Rate Limit Exceeded"}],"code":403,
      "message":"Rate Limit Exceeded"}})",
                       std::nullopt);
  EXPECT_TRUE(f.retry);
  EXPECT_EQ(f.reason, "rateLimitExceeded");
  f = ReadFailure(403, R"({"error":{"errors":[{"domain":"global","reason":"forbidden"}],
      "code":403,"message":"Forbidden"}})",
                  std::nullopt);
  EXPECT_FALSE(f.retry);  // no access is not a rate limit
  EXPECT_TRUE(ReadFailure(429, "", std::string("3")).retry);
  EXPECT_EQ(ReadFailure(429, "", std::string("3")).delay, std::chrono::seconds(3));
  EXPECT_EQ(ReadFailure(503, "<html>", std::string("86400")).delay, std::chrono::seconds(0));
  EXPECT_TRUE(ReadFailure(401, "", std::nullopt).auth);
  EXPECT_FALSE(
      ReadFailure(409, R"({"error":{"errors":[{"reason":"duplicate"}]}})", std::nullopt).retry);
  f = ReadFailure(
      400, R"({"error":"invalid_grant","error_description":"Token has been expired or revoked."})",
      std::nullopt);
  EXPECT_EQ(f.reason, "invalid_grant");
  EXPECT_EQ(f.message, "Token has been expired or revoked.");
}

TEST(GoogleFormat, BackoffDoublesAndIsCapped) {
  using std::chrono::milliseconds;
  EXPECT_EQ(Backoff(0, milliseconds(500), 0), milliseconds(500));
  EXPECT_EQ(Backoff(2, milliseconds(500), 0), milliseconds(2000));
  EXPECT_EQ(Backoff(20, milliseconds(500), 0), milliseconds(16000));
  EXPECT_EQ(Backoff(1, milliseconds(500), 0.999), milliseconds(750));
  EXPECT_EQ(UrlEncode("anna@salon.test/x y"), "anna%40salon.test%2Fx%20y");
}

}  // namespace
}  // namespace gcalendar
