// Usage limits and the subscription endpoints against a real database.

#include <array>
#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "accounts/account_repository.hpp"
#include "accounts/passwords.hpp"
#include "api/error_mapping.hpp"
#include "app/host_app.hpp"
#include "billing/usage.hpp"
#include "http/api_error.hpp"
#include "support/host_process.hpp"
#include "support/test_db.hpp"

namespace sloth::billing {
namespace {

using json = nlohmann::json;

class UsageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string yaml =
        "http:\n  host: 127.0.0.1\n  port: 0\ndatabase:\n  url: \"" + db_.url() +
        "\"\n  pool_size: 24\nplans_file: " + SLOTH_SOURCE_DIR +
        "/config/plans.yaml\nauth:\n  jwt_secret: usage-secret-0123456789-abcdefghijk\n";
    app_ = std::make_unique<app::HostApp>(config::ParseHostConfig(
        yaml, "test.yaml", [](const std::string&) { return std::nullopt; }));
    app_->Start();
  }
  void TearDown() override { app_->Stop(); }

  json Register(const std::string& email, const std::string& plan) {
    auto r = testing::HttpCall(app_->port(), "POST", "/api/auth/register",
                               json{{"email", email},
                                    {"password", "a long passphrase 42"},
                                    {"organization_name", "Salon"},
                                    {"plan", plan}}
                                   .dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body);
  }

  testing::TestDatabase db_;
  std::unique_ptr<app::HostApp> app_;
};

TEST_F(UsageTest, ConcurrentRequestsNeverPassTheLimit) {
  const auto org = Register("owner@salon.test", "free");  // 100 messages per period
  const std::int64_t tenant = org["organization"]["id"];
  std::atomic<int> passed{0}, limited{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 20; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        try {
          app_->pool().InTenant(db::TenantId{tenant}, [&](db::Transaction& tx) {
            UsageMeter().Consume(tx, tenant, "messages");
          });
          ++passed;
        } catch (const errors::Error& domain) {
          const auto e = api::ToHttp(domain);
          (e.status() == 429 ? limited : other)++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(passed.load(), 100);
  EXPECT_EQ(limited.load(), 100);
  EXPECT_EQ(other.load(), 0);
  try {
    app_->pool().InTransaction(
        [&](db::Transaction& tx) { UsageMeter().Consume(tx, tenant, "messages"); });
    FAIL();
  } catch (const errors::Error& domain) {
    const auto e = api::ToHttp(domain);
    EXPECT_EQ(e.status(), 429);
    EXPECT_EQ(e.field(), "messages");
    EXPECT_STREQ(e.what(), "the plan allows 100 messages per period; used 100");
  }
}

// Monthly windows start at the subscription's anchor plus whole months; an anchor on the 31st
// falls back to the month's last day. The function is inlined into its callers' plans: a
// counted message does not parse and plan its body again.
TEST_F(UsageTest, UsageWindowsStepByCalendarMonthsFromTheAnchor) {
  const std::vector<std::array<const char*, 3>> cases = {
      // anchor, instant, window start
      {"2026-01-31 10:00:00+00", "2026-01-31 09:59:59+00", "2026-01-31 10:00:00+00"},
      {"2026-01-31 10:00:00+00", "2026-02-15 00:00:00+00", "2026-01-31 10:00:00+00"},
      {"2026-01-31 10:00:00+00", "2026-02-28 10:00:00+00", "2026-02-28 10:00:00+00"},
      {"2026-01-31 10:00:00+00", "2026-03-30 23:00:00+00", "2026-02-28 10:00:00+00"},
      {"2026-01-31 10:00:00+00", "2026-03-31 10:00:00+00", "2026-03-31 10:00:00+00"},
      {"2024-01-31 10:00:00+00", "2024-02-29 10:00:01+00", "2024-02-29 10:00:00+00"},
      {"2025-11-15 12:00:00+00", "2026-11-15 11:59:59+00", "2026-10-15 12:00:00+00"},
      {"2025-11-15 12:00:00+00", "2026-11-15 12:00:00+00", "2026-11-15 12:00:00+00"},
  };
  for (const auto& [anchor, at, start] : cases) {
    const auto got = app_->pool().InTransaction([&](db::Transaction& tx) {
      tx.Exec("SET LOCAL timezone = 'UTC'");
      return tx
          .Exec("SELECT public.usage_period_start($1::timestamptz, $2::timestamptz)::text", anchor,
                at)
          .Text(0, 0);
    });
    EXPECT_EQ(got, start) << anchor << " at " << at;
  }
  const auto plan = app_->pool().InTransaction([](db::Transaction& tx) {
    auto r = tx.Exec(
        "EXPLAIN (VERBOSE) SELECT public.usage_period_start(current_period_start, now()) FROM "
        "public.subscriptions");
    std::string text;
    for (int i = 0; i < r.Rows(); ++i) text += r.Text(i, 0) + "\n";
    return text;
  });
  EXPECT_EQ(plan.find("usage_period_start"), std::string::npos) << plan;
  EXPECT_NE(plan.find("make_interval"), std::string::npos) << plan;
}

TEST_F(UsageTest, LapsedSubscriptionIsPaymentRequired) {
  const auto org = Register("owner@salon.test", "starter");
  const std::int64_t tenant = org["organization"]["id"];
  app_->pool().InTransaction([&](db::Transaction& tx) {
    tx.Exec("UPDATE public.subscriptions SET status = 'past_due' WHERE tenant_id = $1", tenant);
  });
  try {
    app_->pool().InTransaction(
        [&](db::Transaction& tx) { UsageMeter().Consume(tx, tenant, "photos", 3); });
    FAIL();
  } catch (const errors::Error& domain) {
    const auto e = api::ToHttp(domain);
    EXPECT_EQ(e.status(), 402);
    EXPECT_STREQ(e.what(), "the subscription is past_due");
  }
}

TEST_F(UsageTest, SubscriptionEndpoints) {
  const auto org = Register("owner@salon.test", "professional");
  const std::string token = org["access_token"];
  const std::int64_t tenant = org["organization"]["id"];
  app_->pool().InTransaction([&](db::Transaction& tx) {
    UsageMeter().Consume(tx, tenant, "messages", 7);
    UsageMeter().Consume(tx, tenant, "documents", 2);
  });
  auto plans = testing::HttpCall(app_->port(), "GET", "/api/subscriptions/plans");
  ASSERT_EQ(plans.status, 200);
  const auto pj = json::parse(plans.body);
  ASSERT_EQ(pj["plans"].size(), 4u);  // Free is offered publicly, first
  EXPECT_EQ(pj["plans"][0]["slug"], "free");
  EXPECT_EQ(pj["plans"][0]["price_monthly"], 0);
  EXPECT_EQ(pj["plans"][0]["trial_days"], 0);
  EXPECT_EQ(pj["plans"][1]["slug"], "starter");
  EXPECT_EQ(pj["plans"][1]["price_monthly"], 1499);
  EXPECT_EQ(pj["plans"][1]["currency"], "USD");
  EXPECT_EQ(pj["plans"][1]["limits"]["users"], 3);

  auto current = testing::HttpCall(app_->port(), "GET", "/api/subscriptions/current", "", token);
  ASSERT_EQ(current.status, 200) << current.body;
  const auto cj = json::parse(current.body);
  EXPECT_EQ(cj["plan"], "professional");
  EXPECT_EQ(cj["status"], "trialing");
  EXPECT_FALSE(cj["trial_end"].is_null());

  auto usage = testing::HttpCall(app_->port(), "GET", "/api/subscriptions/usage", "", token);
  ASSERT_EQ(usage.status, 200) << usage.body;
  const auto uj = json::parse(usage.body);
  EXPECT_EQ(uj["usage"]["messages"], (json{{"used", 7}, {"max", 5000}}));
  EXPECT_EQ(uj["usage"]["documents"], (json{{"used", 2}, {"max", 1000}}));
  EXPECT_EQ(uj["usage"]["photos"], (json{{"used", 0}, {"max", 10000}}));
  EXPECT_EQ(uj["period_start"], cj["current_period_start"]);
  EXPECT_EQ(testing::HttpCall(app_->port(), "GET", "/api/subscriptions/usage").status, 401);
}

}  // namespace
}  // namespace sloth::billing

namespace sloth::billing {
namespace {

TEST_F(UsageTest, ActivationCodeIsRedeemedOnceUnderConcurrency) {
  app_->pool().InTransaction([](db::Transaction& tx) {
    accounts::AccountRepository().InsertUser(tx, "root@sloth.test",
                                             accounts::HashPassword("an admin passphrase"), "admin",
                                             std::nullopt, "en");
  });
  const auto login =
      testing::HttpCall(app_->port(), "POST", "/api/auth/login",
                        R"({"email":"root@sloth.test","password":"an admin passphrase"})");
  ASSERT_EQ(login.status, 200);
  const std::string admin = json::parse(login.body)["access_token"];
  auto bad = testing::HttpCall(app_->port(), "POST", "/api/admin/codes/generate",
                               R"({"plan":"enterprise","duration_days":45})", admin);
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["error"]["field"], "duration_days");
  auto gen = testing::HttpCall(app_->port(), "POST", "/api/admin/codes/generate",
                               R"({"plan":"enterprise","duration_days":90,"count":2})", admin);
  ASSERT_EQ(gen.status, 201) << gen.body;
  const std::string code = json::parse(gen.body)["codes"][0]["code"];
  EXPECT_EQ(code.size(), 14u);

  const auto a = Register("a@salon.test", "starter");
  const auto b = Register("b@salon.test", "starter");
  std::vector<int> statuses(2);
  std::thread ta([&] {
    statuses[0] = testing::HttpCall(app_->port(), "POST", "/api/subscriptions/activate-code",
                                    json{{"code", code}}.dump(), a["access_token"])
                      .status;
  });
  std::thread tb([&] {
    statuses[1] = testing::HttpCall(app_->port(), "POST", "/api/subscriptions/activate-code",
                                    json{{"code", code}}.dump(), b["access_token"])
                      .status;
  });
  ta.join();
  tb.join();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200), 1);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 404), 1);
  const auto winner = statuses[0] == 200 ? a : b;
  const auto current =
      json::parse(testing::HttpCall(app_->port(), "GET", "/api/subscriptions/current", "",
                                    winner["access_token"])
                      .body);
  EXPECT_EQ(current["plan"], "enterprise");
  EXPECT_EQ(current["status"], "active");
  EXPECT_TRUE(current["trial_end"].is_null());
  const auto list =
      json::parse(testing::HttpCall(app_->port(), "GET", "/api/admin/codes", "", admin).body);
  EXPECT_EQ(list["items"][0]["redeemed_by_tenant"], winner["organization"]["id"]);
  EXPECT_TRUE(list["items"][1]["redeemed_by_tenant"].is_null());
  // Owners only; codes are not case-sensitive for the person typing them.
  EXPECT_EQ(
      testing::HttpCall(app_->port(), "GET", "/api/admin/codes", "", winner["access_token"]).status,
      403);
  const std::string second = json::parse(gen.body)["codes"][1]["code"];
  std::string lower = second;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  const auto loser = statuses[0] == 200 ? b : a;
  EXPECT_EQ(testing::HttpCall(app_->port(), "POST", "/api/subscriptions/activate-code",
                              json{{"code", lower}}.dump(), loser["access_token"])
                .status,
            200);
}

TEST_F(UsageTest, HourlyCheckRecordsEightyAndHundredPercentOnce) {
  const auto org = Register("alerts@salon.test", "free");  // 100 messages per month
  const std::int64_t tenant = org["organization"]["id"];
  auto consume = [&](int n) {
    app_->pool().InTransaction(
        [&](db::Transaction& tx) { UsageMeter().Consume(tx, tenant, "messages", n); });
  };
  auto check = [&] {
    return app_->pool().InTransaction(
        [](db::Transaction& tx) { return UsageMeter().CheckAll(tx); });
  };
  consume(79);
  EXPECT_EQ(check(), 0);
  consume(1);
  EXPECT_EQ(check(), 1);
  EXPECT_EQ(check(), 0);  // once per level and window
  consume(20);
  EXPECT_EQ(check(), 1);
  const auto usage = json::parse(
      testing::HttpCall(app_->port(), "GET", "/api/subscriptions/usage", "", org["access_token"])
          .body);
  ASSERT_EQ(usage["alerts"].size(), 2u);
  EXPECT_EQ(usage["alerts"][0]["level"], 80);
  EXPECT_EQ(usage["alerts"][1]["level"], 100);
  EXPECT_EQ(usage["alerts"][1]["used"], 100);
}

}  // namespace
}  // namespace sloth::billing
