// Usage arithmetic that needs no database: megabytes counted, refusals turned into errors.

#include <gtest/gtest.h>

#include "api/error_mapping.hpp"
#include "billing/usage.hpp"

namespace sloth::billing {
namespace {

TEST(Usage, StorageCountsWholeMegabytesAtLeastOne) {
  EXPECT_EQ(MegabytesOf(0), 1);
  EXPECT_EQ(MegabytesOf(1), 1);
  EXPECT_EQ(MegabytesOf(1u << 20), 1);
  EXPECT_EQ(MegabytesOf((1u << 20) + 1), 2);
  EXPECT_EQ(MegabytesOf(std::uint64_t{2500} * 1000), 3);  // 2.5 MB is 2.38 MiB
  EXPECT_EQ(MegabytesOf(std::uint64_t{20} << 20), 20);
}

TEST(Usage, ALimitRefusalNamesTheLimitUsedAndMax) {
  Refusal r;
  r.metric = "messages";
  r.used = 100;
  r.max = 100;
  r.message = "the plan allows 100 messages per period; used 100";
  const auto e = r.ToError();
  EXPECT_EQ(e.code(), errors::Code::kLimitReached);
  EXPECT_EQ(e.field(), "messages");
  EXPECT_EQ(e.details()["limit"], "messages");
  EXPECT_EQ(e.details()["used"], 100);
  EXPECT_EQ(e.details()["max"], 100);
  const auto http = api::ToHttp(e);
  EXPECT_EQ(http.status(), 429);
  EXPECT_EQ(http.Envelope()["error"]["code"], "limit_exceeded");
  EXPECT_EQ(http.Envelope()["error"]["details"]["max"], 100);
}

TEST(Usage, ASubscriptionRefusalIsPaymentRequired) {
  Refusal r;
  r.kind = Refusal::Kind::kSubscription;
  r.metric = "documents";
  r.message = "the subscription is past_due";
  const auto e = r.ToError();
  EXPECT_EQ(e.code(), errors::Code::kPaymentRequired);
  EXPECT_EQ(api::ToHttp(e).status(), 402);
  EXPECT_STREQ(e.what(), "the subscription is past_due");
}

TEST(Usage, JsonShowsEveryMetricWithUsedAndMax) {
  Usage u;
  u.period_start = "2026-11-01T00:00:00Z";
  u.period_end = "2026-12-01T00:00:00Z";
  u.metrics["messages"] = {3, 100};
  u.metrics["storage_mb"] = {0, -1};
  const auto j = u.ToJson();
  EXPECT_EQ(j["usage"]["messages"]["used"], 3);
  EXPECT_EQ(j["usage"]["messages"]["max"], 100);
  EXPECT_EQ(j["usage"]["storage_mb"]["max"], -1);
  EXPECT_EQ(j["period_end"], "2026-12-01T00:00:00Z");
  EXPECT_TRUE(j["alerts"].is_array());
}

}  // namespace
}  // namespace sloth::billing
