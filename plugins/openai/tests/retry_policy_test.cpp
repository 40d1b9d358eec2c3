// The official client's retry rules, decided from the response alone.

#include <gtest/gtest.h>

#include "retry_policy.hpp"

namespace openai {
namespace {

sloth::HttpResponse Response(int status, std::string body,
                             std::vector<std::pair<std::string, std::string>> headers = {}) {
  sloth::HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

TEST(OpenAiRetryPolicy, TransientStatusesRetryAndQuotaDoesNot) {
  for (int s : {408, 409, 429, 500, 503}) EXPECT_TRUE(Decide(Response(s, "{}")).retry) << s;
  for (int s : {400, 401, 403, 404, 422}) EXPECT_FALSE(Decide(Response(s, "{}")).retry) << s;
  const auto quota = Decide(Response(
      429,
      R"({"error":{"message":"You exceeded your current quota","code":"insufficient_quota"}})"));
  EXPECT_FALSE(quota.retry);
  EXPECT_EQ(quota.status, sloth::Status::kRateLimited);
  EXPECT_EQ(quota.message, "openai: HTTP 429: You exceeded your current quota");
}

TEST(OpenAiRetryPolicy, ShouldRetryHeaderWinsAndServerWaitsAreHonouredWhenSane) {
  EXPECT_FALSE(Decide(Response(500, "{}", {{"X-Should-Retry", "false"}})).retry);
  EXPECT_TRUE(Decide(Response(400, "{}", {{"x-should-retry", "true"}})).retry);
  EXPECT_EQ(Decide(Response(429, "{}", {{"retry-after-ms", "250"}})).delay.count(), 250);
  EXPECT_EQ(Decide(Response(429, "{}", {{"Retry-After", "2"}})).delay.count(), 2000);
  EXPECT_EQ(Decide(Response(429, "{}", {{"retry-after", "600"}})).delay.count(), 0);  // > 120 s
  EXPECT_EQ(Decide(Response(401, "not json")).status, sloth::Status::kUnauthenticated);
}

TEST(OpenAiRetryPolicy, BackoffDoublesFromHalfASecondToEightWithQuarterJitter) {
  EXPECT_EQ(Backoff(0, 0.0).count(), 500);
  EXPECT_EQ(Backoff(1, 0.0).count(), 1000);
  EXPECT_EQ(Backoff(4, 0.0).count(), 8000);
  EXPECT_EQ(Backoff(30, 0.0).count(), 8000);
  EXPECT_EQ(Backoff(0, 0.999).count(), 375);
}

}  // namespace
}  // namespace openai
