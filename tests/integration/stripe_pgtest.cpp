// The Stripe plugin end to end: the host loads build/plugins/stripe, checkout goes to a
// local fake Stripe through the host's HTTP client, and webhooks are signed by Stripe's own
// library (the `stripe` npm package, tests/stripe/sign.mjs).

#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/host_app.hpp"
#include "billing/subscription_repository.hpp"
#include "fakes/fake_stripe.hpp"
#include "support/host_process.hpp"
#include "support/test_db.hpp"

namespace sloth::billing {
namespace {

using json = nlohmann::json;

constexpr const char* kWebhookSecret = "whsec_test_0123456789abcdef";

// The header Stripe's library makes for `payload` (at `timestamp`, or now).
std::string StripeHeader(const std::string& payload, const std::string& secret,
                         std::optional<long> timestamp = std::nullopt) {
  const std::string file = testing::WriteTempFile(payload, ".json");
  const std::string out = testing::WriteTempFile("", ".txt");
  std::string cmd = std::string("node ") + SLOTH_SOURCE_DIR + "/tests/stripe/sign.mjs " + file +
                    " '" + secret + "'";
  if (timestamp) cmd += " " + std::to_string(*timestamp);
  cmd += " > " + out;
  EXPECT_EQ(testing::Shell(cmd), 0) << "node and tests/stripe/node_modules are needed: " << cmd;
  std::ifstream in(out);
  std::string header((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(file.c_str());
  std::remove(out.c_str());
  return header;
}

class StripeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("SLOTH_PLUGIN_STRIPE_SECRET_KEY", "sk_test_fake", 1);
    setenv("SLOTH_PLUGIN_STRIPE_WEBHOOK_SECRET", kWebhookSecret, 1);
    const std::string yaml =
        "http:\n  host: 127.0.0.1\n  port: 0\ndatabase:\n  url: \"" + db_.url() +
        "\"\n  pool_size: 8\nplans_file: " + SLOTH_SOURCE_DIR +
        "/config/plans.yaml\nauth:\n  jwt_secret: stripe-secret-0123456789-abcdefghijk\n"
        "jobs:\n  workers: false\nscheduler:\n  enabled: false\n"
        "plugins:\n  dirs: [\"" SLOTH_PLUGIN_DIR
        "\"]\n  config:\n    stripe:\n"
        "      prices:\n        starter: {monthly: price_starter_m, yearly: price_starter_y}\n"
        "        professional: {monthly: price_pro_m, yearly: price_pro_y}\n"
        "outbound_http:\n  allow_private: true\n  rewrite:\n    \"https://api.stripe.com\": "
        "\"" +
        fake_.server().base_url() +
        "\"\n"
        "billing:\n  payment_plugin: stripe\n  success_url: https://app.sloth.test/ok\n"
        "  cancel_url: https://app.sloth.test/cancel\n";
    app_ = std::make_unique<app::HostApp>(config::ParseHostConfig(
        yaml, "test.yaml", [](const std::string&) { return std::nullopt; }));
    app_->Start();
    const auto r = testing::HttpCall(app_->port(), "POST", "/api/auth/register",
                                     json{{"email", "owner@stripe.test"},
                                          {"password", "a long passphrase 42"},
                                          {"organization_name", "Stripe Salon"},
                                          {"plan", "free"}}
                                         .dump());
    ASSERT_EQ(r.status, 201) << r.body;
    const auto j = json::parse(r.body);
    tenant_ = j["organization"]["id"];
    token_ = j["access_token"];
  }
  void TearDown() override { app_->Stop(); }

  testing::HttpResult Hook(const std::string& body, const std::string& signature) {
    std::map<std::string, std::string> headers = {{"Content-Type", "application/json"}};
    if (!signature.empty()) headers["Stripe-Signature"] = signature;
    return testing::HttpCall(app_->port(), "POST", "/hooks/billing/stripe", body, "", headers);
  }

  std::string CheckoutCompleted(const std::string& event_id, const std::string& plan) {
    return json{
        {"id", event_id},
        {"object", "event"},
        {"api_version", "2024-06-20"},
        {"created", 1700000000},
        {"livemode", false},
        {"type", "checkout.session.completed"},
        {"data",
         {{"object",
           {{"id", "cs_test_1"},
            {"object", "checkout.session"},
            {"mode", "subscription"},
            {"payment_status", "paid"},
            {"customer", "cus_1"},
            {"subscription", "sub_1"},
            {"client_reference_id", std::to_string(tenant_)},
            {"metadata",
             {{"org_id", std::to_string(tenant_)}, {"plan", plan}, {"cycle", "monthly"}}}}}}}}
        .dump();
  }

  Subscription Sub() {
    return app_->pool().InTransaction(
        [&](db::Transaction& tx) { return *SubscriptionRepository().Find(tx, tenant_); });
  }
  std::int64_t EventsStored() {
    return app_->pool().InTransaction([](db::Transaction& tx) {
      return tx.Exec("SELECT count(*) FROM public.payment_events").Int(0, 0);
    });
  }

  fakes::FakeStripe fake_;
  testing::TestDatabase db_;
  std::unique_ptr<app::HostApp> app_;
  std::int64_t tenant_ = 0;
  std::string token_;
};

TEST_F(StripeTest, CheckoutCreatesASessionInStripesFormat) {
  auto r = testing::HttpCall(app_->port(), "POST", "/api/subscriptions/checkout",
                             R"({"plan":"starter","cycle":"yearly"})", token_);
  ASSERT_EQ(r.status, 201) << r.body;
  const auto j = json::parse(r.body);
  EXPECT_EQ(j["url"].get<std::string>().rfind("https://checkout.stripe.com/c/pay/cs_test_", 0), 0u);
  const auto reqs = fake_.server().Requests();
  ASSERT_EQ(reqs.size(), 1u);
  const auto& req = reqs[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/v1/checkout/sessions");
  EXPECT_EQ(req.Header("authorization"), "Bearer sk_test_fake");
  EXPECT_FALSE(req.Header("idempotency-key").empty());
  EXPECT_EQ(req.Header("content-type"), "application/x-www-form-urlencoded");
  const auto form = fakes::ParseForm(req.body);
  EXPECT_EQ(form.at("mode"), "subscription");
  EXPECT_EQ(form.at("line_items[0][price]"), "price_starter_y");
  EXPECT_EQ(form.at("line_items[0][quantity]"), "1");
  EXPECT_EQ(form.at("success_url"), "https://app.sloth.test/ok");
  EXPECT_EQ(form.at("client_reference_id"), std::to_string(tenant_));
  EXPECT_EQ(form.at("metadata[org_id]"), std::to_string(tenant_));
  EXPECT_EQ(form.at("subscription_data[metadata][plan]"), "starter");
  EXPECT_EQ(form.at("customer_email"), "owner@stripe.test");
  // Brackets travel unencoded, as Stripe's libraries send them.
  EXPECT_NE(req.body.find("line_items[0][price]=price_starter_y"), std::string::npos);

  // Bad input is the caller's: a free plan, an unknown cycle, an unknown field.
  EXPECT_EQ(testing::HttpCall(app_->port(), "POST", "/api/subscriptions/checkout",
                              R"({"plan":"free"})", token_)
                .status,
            400);
  EXPECT_EQ(testing::HttpCall(app_->port(), "POST", "/api/subscriptions/checkout",
                              R"({"plan":"starter","cycle":"weekly"})", token_)
                .status,
            400);
  EXPECT_EQ(testing::HttpCall(app_->port(), "POST", "/api/subscriptions/checkout",
                              R"({"plan":"starter","price":"price_x"})", token_)
                .status,
            400);
}

TEST_F(StripeTest, RetriesFailuresWithTheSameIdempotencyKey) {
  fake_.FailNext(2, 503);
  auto r = testing::HttpCall(app_->port(), "POST", "/api/subscriptions/checkout",
                             R"({"plan":"professional"})", token_);
  ASSERT_EQ(r.status, 201) << r.body;
  auto reqs = fake_.server().Requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].Header("idempotency-key"), reqs[2].Header("idempotency-key"));
  EXPECT_EQ(fake_.sessions_created(), 1);

  // Stripe-Should-Retry: false wins over the status: one attempt only.
  fake_.server().ClearRequests();
  fake_.FailNext(1, 409, false);
  r = testing::HttpCall(app_->port(), "POST", "/api/subscriptions/checkout",
                        R"({"plan":"professional"})", token_);
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_EQ(fake_.server().Requests().size(), 1u);

  // A 400 from Stripe is not retried and surfaces as a provider error with its message.
  fake_.server().ClearRequests();
  fake_.FailNext(1, 400);
  r = testing::HttpCall(app_->port(), "POST", "/api/subscriptions/checkout",
                        R"({"plan":"professional"})", token_);
  EXPECT_EQ(r.status, 502) << r.body;
  EXPECT_NE(r.body.find("injected failure"), std::string::npos);
  EXPECT_EQ(r.body.find("sk_test_fake"), std::string::npos);
  EXPECT_EQ(fake_.server().Requests().size(), 1u);

  // The client's own Idempotency-Key: the same checkout twice is one session.
  const std::map<std::string, std::string> key = {{"Idempotency-Key", "client-key-1"}};
  auto a = testing::HttpCall(app_->port(), "POST", "/api/subscriptions/checkout",
                             R"({"plan":"starter"})", token_, key);
  auto b = testing::HttpCall(app_->port(), "POST", "/api/subscriptions/checkout",
                             R"({"plan":"starter"})", token_, key);
  ASSERT_EQ(a.status, 201);
  ASSERT_EQ(b.status, 201);
  EXPECT_EQ(json::parse(a.body)["session_id"], json::parse(b.body)["session_id"]);
}

TEST_F(StripeTest, WebhooksSignedByStripesLibraryAreAppliedOnce) {
  const std::string body = CheckoutCompleted("evt_ok_1", "professional");
  const std::string header = StripeHeader(body, kWebhookSecret);
  ASSERT_EQ(header.rfind("t=", 0), 0u) << header;
  auto r = Hook(body, header);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["events"][0]["outcome"], "applied");
  auto s = Sub();
  EXPECT_EQ(s.plan, "professional");
  EXPECT_EQ(s.status, "active");
  EXPECT_EQ(s.provider, "stripe");
  EXPECT_EQ(s.provider_subscription_id, "sub_1");

  // Replayed (Stripe redelivers): 200, nothing changes.
  r = Hook(body, header);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["events"][0]["outcome"], "duplicate");
  EXPECT_EQ(EventsStored(), 1);

  // Cancel: Stripe is told first (cancel_at_period_end=true, keyed), then the subscription
  // runs to its end.
  r = testing::HttpCall(app_->port(), "POST", "/api/subscriptions/cancel", "{}", token_);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["cancel_at_period_end"], true);
  const auto reqs = fake_.server().Requests();
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs.back().path, "/v1/subscriptions/sub_1");
  EXPECT_EQ(fakes::ParseForm(reqs.back().body).at("cancel_at_period_end"), "true");
  EXPECT_EQ(reqs.back().Header("idempotency-key"), "cancel-sub_1");
}

TEST_F(StripeTest, BadSignaturesAreRefusedAndChangeNothing) {
  const std::string body = CheckoutCompleted("evt_bad_1", "professional");
  const std::string good = StripeHeader(body, kWebhookSecret);
  std::string tampered = body;
  tampered.replace(tampered.find("professional"), 12, "enterprise__");
  const auto now = static_cast<long>(std::time(nullptr));
  const std::vector<std::pair<std::string, testing::HttpResult>> refused = {
      {"tampered body", Hook(tampered, good)},
      {"wrong secret", Hook(body, StripeHeader(body, "whsec_someone_else"))},
      {"older than 300 s", Hook(body, StripeHeader(body, kWebhookSecret, now - 301))},
      {"no header", Hook(body, "")},
      {"garbage header", Hook(body, "t=abc,v1=00")},
  };
  for (const auto& [why, r] : refused) {
    EXPECT_EQ(r.status, 400) << why << ": " << r.body;
    EXPECT_EQ(json::parse(r.body)["error"]["code"], "bad_signature") << why;
  }
  EXPECT_EQ(EventsStored(), 0);
  EXPECT_EQ(Sub().plan, "free");
  // Within the tolerance (four minutes old: the margin absorbs a slow `node` start) the same
  // payload is accepted.
  EXPECT_EQ(Hook(body, StripeHeader(body, kWebhookSecret, now - 240)).status, 200);
  EXPECT_EQ(Sub().plan, "professional");
  // Not a payment provider we run.
  EXPECT_EQ(testing::HttpCall(app_->port(), "POST", "/hooks/billing/paypal", body).status, 404);
}

}  // namespace
}  // namespace sloth::billing
