// The subscription lifecycle, provider events, plan gating of integrations and referral
// rewards, against a real database. Time is moved by rewriting the rows' timestamps.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/error_mapping.hpp"
#include "app/host_app.hpp"
#include "billing/subscription_repository.hpp"
#include "billing/usage.hpp"
#include "http/api_error.hpp"
#include "integrations/plan_gate.hpp"
#include "referrals/referrals.hpp"
#include "support/host_process.hpp"
#include "support/test_db.hpp"

namespace sloth::billing {
namespace {

using json = nlohmann::json;

class BillingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string yaml =
        "http:\n  host: 127.0.0.1\n  port: 0\ndatabase:\n  url: \"" + db_.url() +
        "\"\n  pool_size: 8\nplans_file: " + SLOTH_SOURCE_DIR +
        "/config/plans.yaml\nauth:\n  jwt_secret: billing-secret-0123456789-abcdefghijk\n"
        "jobs:\n  workers: false\nscheduler:\n  enabled: false\n";
    app_ = std::make_unique<app::HostApp>(config::ParseHostConfig(
        yaml, "test.yaml", [](const std::string&) { return std::nullopt; }));
    app_->Start();
  }
  void TearDown() override { app_->Stop(); }

  // Registers an organisation through the API; returns {tenant, token}.
  std::pair<std::int64_t, std::string> Register(const std::string& email, const std::string& plan,
                                                const std::string& referral = "") {
    json body = {{"email", email},
                 {"password", "a long passphrase 42"},
                 {"organization_name", "Salon " + email},
                 {"plan", plan}};
    if (!referral.empty()) body["referral_code"] = referral;
    auto r = testing::HttpCall(app_->port(), "POST", "/api/auth/register", body.dump());
    EXPECT_EQ(r.status, 201) << r.body;
    const auto j = json::parse(r.body);
    return {j["organization"]["id"].get<std::int64_t>(), j["access_token"].get<std::string>()};
  }

  template <typename F>
  auto Tx(F&& f) {
    return app_->pool().InTransaction(std::forward<F>(f));
  }

  Subscription Sub(std::int64_t tenant) {
    return Tx([&](db::Transaction& tx) { return *SubscriptionRepository().Find(tx, tenant); });
  }

  void Sql(const std::string& sql, std::int64_t tenant) {
    Tx([&](db::Transaction& tx) { tx.Exec(sql, tenant); });
  }

  // (from_status, to_status, reason) of every recorded change, oldest first.
  std::vector<std::string> Changes(std::int64_t tenant) {
    return Tx([&](db::Transaction& tx) {
      auto r = tx.Exec(
          "SELECT from_plan || '/' || from_status || ' -> ' || to_plan || '/' || to_status || "
          "' (' || reason || ')' FROM public.subscription_changes WHERE tenant_id = $1 ORDER BY id",
          tenant);
      std::vector<std::string> out;
      for (int i = 0; i < r.Rows(); ++i) out.push_back(r.Text(i, 0));
      return out;
    });
  }

  std::string ApplyEvent(const std::string& id, const std::string& type, const json& data) {
    return Tx([&](db::Transaction& tx) {
      return app_->lifecycle().ApplyPaymentEvent(tx, PaymentEvent{"stripe", id, type, data});
    });
  }

  testing::TestDatabase db_;
  std::unique_ptr<app::HostApp> app_;
};

TEST_F(BillingTest, TrialExpiryEndsTheTrialAndFallsBackToFree) {
  const auto [tenant, token] = Register("trial@salon.test", "starter");
  EXPECT_EQ(Sub(tenant).status, "trialing");
  EXPECT_EQ(Tx([&](db::Transaction& tx) { return app_->lifecycle().ExpireTrials(tx); }), 0);

  Sql("UPDATE public.subscriptions SET trial_end = now() - interval '1 second' WHERE tenant_id = "
      "$1",
      tenant);
  EXPECT_EQ(Tx([&](db::Transaction& tx) { return app_->lifecycle().ExpireTrials(tx); }), 1);
  const auto s = Sub(tenant);
  EXPECT_EQ(s.plan, "free");
  EXPECT_EQ(s.status, "active");
  EXPECT_FALSE(s.trial_end);
  EXPECT_EQ(Changes(tenant),
            (std::vector<std::string>{
                "starter/trialing -> starter/canceled (trial ended without payment)",
                "starter/canceled -> free/active (fallback to the free plan)"}));
  // Running the job again changes nothing.
  EXPECT_EQ(Tx([&](db::Transaction& tx) { return app_->lifecycle().ExpireTrials(tx); }), 0);
  EXPECT_EQ(Changes(tenant).size(), 2u);

  auto current = testing::HttpCall(app_->port(), "GET", "/api/subscriptions/current", "", token);
  ASSERT_EQ(current.status, 200);
  const auto j = json::parse(current.body);
  EXPECT_EQ(j["plan"], "free");
  EXPECT_EQ(j["last_change"]["from_status"], "canceled");
  EXPECT_EQ(j["last_change"]["reason"], "fallback to the free plan");
}

TEST_F(BillingTest, FreePeriodsRollOverAndPaidTermsEnd) {
  const auto [free_tenant, t1] = Register("free@salon.test", "free");
  const auto [paid_tenant, t2] = Register("code@salon.test", "free");
  // A paid term from an activation code that has run out, and a free month that has.
  Sql("UPDATE public.subscriptions SET plan_slug = 'professional', current_period_start = "
      "now() - interval '30 days', current_period_end = now() - interval '1 minute' WHERE "
      "tenant_id = $1",
      paid_tenant);
  Sql("UPDATE public.subscriptions SET current_period_start = now() - interval '40 days', "
      "current_period_end = now() - interval '10 days' WHERE tenant_id = $1",
      free_tenant);
  EXPECT_EQ(Tx([&](db::Transaction& tx) { return app_->lifecycle().RollPeriods(tx); }), 2);

  const auto rolled = Tx([&](db::Transaction& tx) {
    return tx
        .Exec(
            "SELECT current_period_start <= now() AND current_period_end > now() AND "
            "current_period_end = current_period_start + interval '1 month' AND "
            "current_period_start > now() - interval '1 month' FROM public.subscriptions "
            "WHERE tenant_id = $1",
            free_tenant)
        .Bool(0, 0);
  });
  EXPECT_TRUE(rolled);
  EXPECT_EQ(Sub(free_tenant).status, "active");
  EXPECT_EQ(Sub(paid_tenant).plan, "free");
  EXPECT_EQ(Changes(paid_tenant).back(),
            "professional/canceled -> free/active (fallback to the free plan)");
  EXPECT_EQ(Tx([&](db::Transaction& tx) { return app_->lifecycle().RollPeriods(tx); }), 0);
}

TEST_F(BillingTest, CancelRunsToThePeriodEndThenEnds) {
  const auto [tenant, token] = Register("cancel@salon.test", "free");
  // Nothing to cancel on the free plan.
  auto r = testing::HttpCall(app_->port(), "POST", "/api/subscriptions/cancel", "{}", token);
  EXPECT_EQ(r.status, 409) << r.body;

  Sql("UPDATE public.subscriptions SET plan_slug = 'starter', current_period_end = now() + "
      "interval '10 days' WHERE tenant_id = $1",
      tenant);
  r = testing::HttpCall(app_->port(), "POST", "/api/subscriptions/cancel", "{}", token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["cancel_at_period_end"], true);
  EXPECT_EQ(json::parse(r.body)["status"], "active");  // paid features until the end
  EXPECT_EQ(
      testing::HttpCall(app_->port(), "POST", "/api/subscriptions/cancel", "{}", token).status,
      409);
  EXPECT_EQ(Tx([&](db::Transaction& tx) { return app_->lifecycle().RollPeriods(tx); }), 0);

  Sql("UPDATE public.subscriptions SET current_period_end = now() - interval '1 second' WHERE "
      "tenant_id = $1",
      tenant);
  EXPECT_EQ(Tx([&](db::Transaction& tx) { return app_->lifecycle().RollPeriods(tx); }), 1);
  EXPECT_EQ(Sub(tenant).plan, "free");
  const auto changes = Changes(tenant);
  ASSERT_GE(changes.size(), 2u);
  EXPECT_EQ(changes[changes.size() - 2],
            "starter/active -> starter/canceled (canceled at the end of the period)");
  EXPECT_FALSE(Sub(tenant).cancel_at_period_end);
}

TEST_F(BillingTest, ProviderEventsDriveThePaidLifecycleExactlyOnce) {
  const auto [tenant, token] = Register("stripe@salon.test", "starter");
  const std::string org = std::to_string(tenant);
  EXPECT_EQ(ApplyEvent("evt_1", "checkout.session.completed",
                       {{"tenant_id", org},
                        {"customer", "cus_1"},
                        {"subscription", "sub_1"},
                        {"plan", "professional"},
                        {"cycle", "yearly"}}),
            "applied");
  auto s = Sub(tenant);
  EXPECT_EQ(s.plan, "professional");
  EXPECT_EQ(s.status, "active");
  EXPECT_EQ(s.billing_cycle, "yearly");
  EXPECT_EQ(s.provider_subscription_id, "sub_1");
  const auto changes_after_checkout = Changes(tenant).size();
  // The same event again: nothing changes.
  EXPECT_EQ(ApplyEvent("evt_1", "checkout.session.completed",
                       {{"tenant_id", org}, {"subscription", "sub_1"}, {"plan", "starter"}}),
            "duplicate");
  EXPECT_EQ(Sub(tenant).plan, "professional");
  EXPECT_EQ(Changes(tenant).size(), changes_after_checkout);

  // A failed payment: past_due, and paid usage is refused with 402.
  EXPECT_EQ(ApplyEvent("evt_2", "invoice.payment_failed", {{"subscription", "sub_1"}}), "applied");
  EXPECT_EQ(Sub(tenant).status, "past_due");
  try {
    Tx([&](db::Transaction& tx) { UsageMeter().Consume(tx, tenant, "messages"); });
    ADD_FAILURE() << "past_due must not consume";
  } catch (const errors::Error& domain) {
    const auto e = api::ToHttp(domain);
    EXPECT_EQ(e.status(), 402);
  }
  // Paid after all: active again, period from the invoice line.
  EXPECT_EQ(ApplyEvent("evt_3", "invoice.paid",
                       {{"subscription", "sub_1"},
                        {"current_period_start", 1893456000},
                        {"current_period_end", 1924992000}}),
            "applied");
  s = Sub(tenant);
  EXPECT_EQ(s.status, "active");
  EXPECT_EQ(s.current_period_end, "2031-01-01T00:00:00Z");

  // Fails again and is never paid: after the grace days, unpaid, then free.
  EXPECT_EQ(ApplyEvent("evt_4", "invoice.payment_failed", {{"subscription", "sub_1"}}), "applied");
  EXPECT_EQ(Tx([&](db::Transaction& tx) { return app_->lifecycle().RollPeriods(tx); }), 0);
  Sql("UPDATE public.subscriptions SET past_due_since = now() - interval '8 days' WHERE "
      "tenant_id = $1",
      tenant);
  EXPECT_EQ(Tx([&](db::Transaction& tx) { return app_->lifecycle().RollPeriods(tx); }), 1);
  s = Sub(tenant);
  EXPECT_EQ(s.plan, "free");
  EXPECT_EQ(s.status, "active");
  EXPECT_FALSE(s.provider);
  const auto changes = Changes(tenant);
  EXPECT_EQ(changes[changes.size() - 2],
            "professional/past_due -> professional/unpaid (payment not received within 7 days)");
  // Late events about the old subscription change nothing.
  EXPECT_EQ(ApplyEvent("evt_5", "invoice.paid", {{"subscription", "sub_1"}}),
            "ignored: no organisation");
  EXPECT_EQ(Sub(tenant).plan, "free");
}

TEST_F(BillingTest, SubscriptionUpdatesAndDeletion) {
  const auto [tenant, token] = Register("updates@salon.test", "free");
  const std::string org = std::to_string(tenant);
  ApplyEvent("evt_a", "checkout.session.completed",
             {{"tenant_id", org}, {"subscription", "sub_9"}, {"plan", "starter"}});
  EXPECT_EQ(ApplyEvent("evt_b", "customer.subscription.updated",
                       {{"subscription", "sub_9"},
                        {"status", "past_due"},
                        {"plan", "professional"},
                        {"cancel_at_period_end", true},
                        {"current_period_end", 1924992000}}),
            "applied");
  auto s = Sub(tenant);
  EXPECT_EQ(s.status, "past_due");
  EXPECT_EQ(s.plan, "professional");
  EXPECT_TRUE(s.cancel_at_period_end);
  EXPECT_EQ(ApplyEvent("evt_c", "customer.subscription.updated",
                       {{"subscription", "sub_other"}, {"status", "active"}}),
            "ignored: no organisation");
  EXPECT_EQ(ApplyEvent("evt_d", "customer.subscription.updated",
                       {{"subscription", "sub_9"}, {"status", "active"}}),
            "applied");
  EXPECT_EQ(Sub(tenant).status, "active");
  EXPECT_EQ(ApplyEvent("evt_e", "charge.refunded", {{"subscription", "sub_9"}}),
            "ignored: unhandled type charge.refunded");
  EXPECT_EQ(ApplyEvent("evt_f", "customer.subscription.deleted", {{"subscription", "sub_9"}}),
            "applied");
  s = Sub(tenant);
  EXPECT_EQ(s.plan, "free");
  EXPECT_EQ(Changes(tenant)[Changes(tenant).size() - 2],
            "professional/active -> professional/canceled (subscription ended at stripe)");
  // Each event id was recorded once, with its outcome.
  const auto rows = Tx([&](db::Transaction& tx) {
    return tx.Exec("SELECT count(*) FROM public.payment_events WHERE provider = 'stripe'")
        .Int(0, 0);
  });
  EXPECT_EQ(rows, 6);
}

TEST_F(BillingTest, UnpaidProviderRenewalGoesPastDue) {
  const auto [tenant, token] = Register("renewal@salon.test", "free");
  ApplyEvent(
      "evt_r1", "checkout.session.completed",
      {{"tenant_id", std::to_string(tenant)}, {"subscription", "sub_r"}, {"plan", "starter"}});
  // Within a day of the period end the provider's invoice may still arrive.
  Sql("UPDATE public.subscriptions SET current_period_end = now() - interval '1 hour' WHERE "
      "tenant_id = $1",
      tenant);
  EXPECT_EQ(Tx([&](db::Transaction& tx) { return app_->lifecycle().RollPeriods(tx); }), 0);
  EXPECT_EQ(Sub(tenant).status, "active");
  Sql("UPDATE public.subscriptions SET current_period_end = now() - interval '25 hours' WHERE "
      "tenant_id = $1",
      tenant);
  EXPECT_EQ(Tx([&](db::Transaction& tx) { return app_->lifecycle().RollPeriods(tx); }), 1);
  EXPECT_EQ(Sub(tenant).status, "past_due");
}

TEST_F(BillingTest, DowngradeDisablesIntegrationsAndUpgradeReenablesThem) {
  const auto [tenant, token] = Register("gating@salon.test", "free");
  integrations::PlanGate gate;
  // Free has telegram only: whatsapp is refused with 402 naming it.
  try {
    Tx([&](db::Transaction& tx) { gate.CheckCanEnable(tx, tenant, std::string("whatsapp")); });
    ADD_FAILURE();
  } catch (const errors::Error& domain) {
    const auto e = api::ToHttp(domain);
    EXPECT_EQ(e.status(), 402);
    EXPECT_EQ(e.field(), "whatsapp");
  }
  Tx([&](db::Transaction& tx) {
    app_->lifecycle().ChangePlan(tx, tenant, "professional", "test");
  });
  for (const char* f : {"telegram", "whatsapp", "google_calendar"}) {
    Tx([&](db::Transaction& tx) {
      gate.CheckCanEnable(tx, tenant, std::string(f));
      tx.Exec("INSERT INTO public.integrations (tenant_id, plugin_id, feature) VALUES ($1, $2, $3)",
              tenant, std::string(f) == "google_calendar" ? "gcalendar" : f, f);
    });
  }
  Tx([&](db::Transaction& tx) { app_->lifecycle().End(tx, tenant, "canceled", "test downgrade"); });
  auto state = [&] {
    return Tx([&](db::Transaction& tx) {
      auto r = tx.Exec(
          "SELECT plugin_id || ':' || status || ':' || coalesce(disabled_reason, '') FROM "
          "public.integrations WHERE tenant_id = $1 ORDER BY created_at, id",
          tenant);
      std::vector<std::string> out;
      for (int i = 0; i < r.Rows(); ++i) out.push_back(r.Text(i, 0));
      return out;
    });
  };
  EXPECT_EQ(state(),
            (std::vector<std::string>{
                "telegram:active:", "whatsapp:disabled:the free plan does not include whatsapp",
                "gcalendar:disabled:the free plan does not include google_calendar"}));
  // Free allows one integration: a second telegram is over the count.
  try {
    Tx([&](db::Transaction& tx) { gate.CheckCanEnable(tx, tenant, std::string("telegram")); });
    ADD_FAILURE();
  } catch (const errors::Error& domain) {
    const auto e = api::ToHttp(domain);
    EXPECT_EQ(e.status(), 429);
    EXPECT_EQ(e.field(), "integrations");
  }
  Tx([&](db::Transaction& tx) {
    app_->lifecycle().ChangePlan(tx, tenant, "professional", "test upgrade");
  });
  EXPECT_EQ(state(), (std::vector<std::string>{
                         "telegram:active:", "whatsapp:active:", "gcalendar:active:"}));
  // Starter has whatsapp but not google_calendar, and room for two.
  Tx([&](db::Transaction& tx) { app_->lifecycle().ChangePlan(tx, tenant, "starter", "test"); });
  EXPECT_EQ(state(), (std::vector<std::string>{
                         "telegram:active:", "whatsapp:active:",
                         "gcalendar:disabled:the starter plan does not include google_calendar"}));
}

class ReferralTest : public BillingTest {
 protected:
  // Adds `n` organisations referred by `referrer_user`, on a paid active plan.
  std::vector<std::int64_t> AddReferred(std::int64_t referrer_user, int n) {
    return Tx([&](db::Transaction& tx) {
      std::vector<std::int64_t> ids;
      for (int i = 0; i < n; ++i) {
        const auto id =
            tx.Exec("INSERT INTO public.tenants (name) VALUES ('Referred salon') RETURNING id")
                .Int(0, 0);
        SubscriptionRepository().InsertInitial(tx, id, "starter", 0);
        tx.Exec(
            "INSERT INTO public.referrals (referrer_user_id, referred_tenant_id) VALUES ($1, $2)",
            referrer_user, id);
        ids.push_back(id);
      }
      referrals::Referrals().SyncStatus(tx, std::nullopt);
      return ids;
    });
  }
  int Grant() {
    return Tx([&](db::Transaction& tx) {
      return referrals::Referrals().GrantRewards(tx, app_->lifecycle());
    });
  }
  std::int64_t UserOf(std::int64_t tenant) {
    return Tx([&](db::Transaction& tx) {
      return tx.Exec("SELECT id FROM public.users WHERE tenant_id = $1", tenant).Int(0, 0);
    });
  }
};

TEST_F(ReferralTest, RewardsAt49_50_51_100AndNeverTwice) {
  const auto [tenant, token] = Register("referrer@salon.test", "free");
  const auto user = UserOf(tenant);
  auto referred = AddReferred(user, 49);
  EXPECT_EQ(Grant(), 0);
  EXPECT_EQ(Sub(tenant).plan, "free");

  auto more = AddReferred(user, 1);  // 50
  referred.insert(referred.end(), more.begin(), more.end());
  EXPECT_EQ(Grant(), 1);
  EXPECT_EQ(Sub(tenant).plan, "starter");
  EXPECT_EQ(Grant(), 0);  // re-running grants nothing

  more = AddReferred(user, 1);  // 51
  referred.insert(referred.end(), more.begin(), more.end());
  EXPECT_EQ(Grant(), 0);
  EXPECT_EQ(Sub(tenant).plan, "starter");

  more = AddReferred(user, 49);  // 100
  referred.insert(referred.end(), more.begin(), more.end());
  EXPECT_EQ(Grant(), 1);
  EXPECT_EQ(Sub(tenant).plan, "professional");
  EXPECT_EQ(Grant(), 0);

  auto stats = testing::HttpCall(app_->port(), "GET", "/api/referrals/stats", "", token);
  ASSERT_EQ(stats.status, 200) << stats.body;
  auto j = json::parse(stats.body);
  EXPECT_EQ(j["active"], 100);
  EXPECT_EQ(j["next_reward_at"], 150);
  ASSERT_EQ(j["rewards"].size(), 2u);
  EXPECT_EQ(j["rewards"][0]["threshold"], 50);
  EXPECT_EQ(j["rewards"][0]["old_plan"], "free");
  EXPECT_EQ(j["rewards"][0]["new_plan"], "starter");
  EXPECT_EQ(j["rewards"][1]["new_plan"], "professional");

  // Ten referred organisations lapse: their referrals go inactive, the rewards stay; when
  // they come back to 100 active nothing is granted again (100 was rewarded).
  for (int i = 0; i < 10; ++i) {
    Tx([&](db::Transaction& tx) {
      app_->lifecycle().End(tx, referred[static_cast<std::size_t>(i)], "canceled", "test");
    });
  }
  j = json::parse(testing::HttpCall(app_->port(), "GET", "/api/referrals/stats", "", token).body);
  EXPECT_EQ(j["active"], 90);
  EXPECT_EQ(j["inactive"], 10);
  EXPECT_EQ(Grant(), 0);
  EXPECT_EQ(Sub(tenant).plan, "professional");
  for (int i = 0; i < 10; ++i) {
    Tx([&](db::Transaction& tx) {
      app_->lifecycle().ChangePlan(tx, referred[static_cast<std::size_t>(i)], "starter", "back");
    });
  }
  EXPECT_EQ(Grant(), 0);
  more = AddReferred(user, 50);  // 150: a new multiple
  EXPECT_EQ(Grant(), 1);
  EXPECT_EQ(Sub(tenant).plan, "enterprise");
}

TEST_F(ReferralTest, StatusFollowsTheReferredSubscriptionAndEndpointsShowIt) {
  const auto [referrer, token] = Register("owner@ref.test", "free");
  auto code = testing::HttpCall(app_->port(), "GET", "/api/referrals/my-code", "", token);
  ASSERT_EQ(code.status, 200);
  const std::string my_code = json::parse(code.body)["code"];
  const auto [referred, token2] = Register("new@ref.test", "starter", my_code);

  auto list = testing::HttpCall(app_->port(), "GET", "/api/referrals/list", "", token);
  ASSERT_EQ(list.status, 200) << list.body;
  auto j = json::parse(list.body);
  ASSERT_EQ(j["items"].size(), 1u);
  EXPECT_EQ(j["items"][0]["status"], "pending");  // a trial is not paid
  EXPECT_EQ(j["items"][0]["organization"].get<std::string>().find("new@ref"), std::string::npos);

  ApplyEvent(
      "evt_ref", "checkout.session.completed",
      {{"tenant_id", std::to_string(referred)}, {"subscription", "sub_ref"}, {"plan", "starter"}});
  j = json::parse(testing::HttpCall(app_->port(), "GET", "/api/referrals/list", "", token).body);
  EXPECT_EQ(j["items"][0]["status"], "active");
  ApplyEvent("evt_ref2", "customer.subscription.deleted", {{"subscription", "sub_ref"}});
  j = json::parse(testing::HttpCall(app_->port(), "GET", "/api/referrals/list", "", token).body);
  EXPECT_EQ(j["items"][0]["status"], "inactive");
  // The referred organisation sees none of the referrer's list.
  j = json::parse(testing::HttpCall(app_->port(), "GET", "/api/referrals/list", "", token2).body);
  EXPECT_TRUE(j["items"].empty());
}

}  // namespace
}  // namespace sloth::billing
