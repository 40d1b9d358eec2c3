// Channels end to end: the host loads build/plugins/telegram, talks to a fake Telegram
// through its HTTP client, and answers webhook deliveries through the job queue.

#include <atomic>
#include <csignal>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/host_app.hpp"
#include "billing/usage.hpp"
#include "crypto/secret_box.hpp"
#include "fakes/fake_telegram.hpp"
#include "fakes/fake_whatsapp.hpp"
#include "integrations/integration_repository.hpp"
#include "jobs/job_queue.hpp"
#include "support/host_process.hpp"
#include "support/test_db.hpp"
#include "support/wait.hpp"

namespace sloth::channels {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kToken = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";

// The PROTOCOLS.md example, with an update id of our choosing.
json TextUpdate(long update_id, const std::string& text, long chat = 1111111) {
  return {
      {"update_id", update_id},
      {"message",
       {{"message_id", 1365 + update_id},
        {"from",
         {{"id", chat},
          {"is_bot", false},
          {"first_name", "Ann"},
          {"username", "ann"},
          {"language_code", "en"}}},
        {"chat", {{"id", chat}, {"first_name", "Ann"}, {"username", "ann"}, {"type", "private"}}},
        {"date", 1441645532},
        {"text", text}}}};
}

std::string HostYaml(const std::string& db_url, const std::string& fake, int port, int burst_ms,
                     const std::string& public_url,
                     const std::string& whatsapp_fake = "http://127.0.0.1:9", bool workers = true) {
  return "http:\n  host: 127.0.0.1\n  port: " + std::to_string(port) + "\n  public_url: \"" +
         public_url + "\"\ndatabase:\n  url: \"" + db_url +
         "\"\n  pool_size: 8\nplans_file: " + SLOTH_SOURCE_DIR +
         "/config/plans.yaml\nauth:\n  jwt_secret: channels-secret-0123456789-abcdefghijk\n"
         "secrets:\n  master_key: \"" +
         std::string(64, 'a') +
         "\"\n"
         "jobs:\n  poll_ms: 100\n  workers: " +
         std::string(workers ? "true" : "false") +
         "\nchannels:\n  poll_timeout_ms: 1000\n  poll_rescan_ms: 200\n"
         "  burst_window_ms: " +
         std::to_string(burst_ms) +
         "\nplugins:\n  dirs: [\"" SLOTH_PLUGIN_DIR
         "\"]\n  config:\n    storage-local: {data_dir: \"/tmp/sloth-channel-blobs\"}\n"
         "outbound_http:\n  allow_private: true\n  rewrite:\n    \"https://api.telegram.org\": \"" +
         fake + "\"\n    \"https://graph.facebook.com\": \"" + whatsapp_fake +
         "\"\n    \"https://lookaside.fbsbx.com\": \"" + whatsapp_fake +
         "\"\nlog:\n  level: info\n";
}

class ChannelsTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(); }
  void TearDown() override {
    if (app_) app_->Stop();
  }

  // `workers` false: jobs run only when the test drains them (no timing to wait out).
  void Start(int burst_ms = 0, const std::string& public_url = "https://sloth.example",
             bool workers = true) {
    if (app_) app_->Stop();
    app_ = std::make_unique<app::HostApp>(
        config::ParseHostConfig(HostYaml(db_.url(), fake_.base_url(), 0, burst_ms, public_url,
                                         "http://127.0.0.1:9", workers),
                                "test.yaml", [](const std::string&) { return std::nullopt; }));
    app_->Start();
  }

  std::string Register(const std::string& email, const std::string& plan = "free") {
    auto r = testing::HttpCall(app_->port(), "POST", "/api/auth/register",
                               json{{"email", email},
                                    {"password", "a long passphrase 42"},
                                    {"organization_name", "Salon Aurora"},
                                    {"plan", plan}}
                                   .dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body)["access_token"];
  }

  json Connect(const std::string& token, const json& config, int expect = 201) {
    auto r = testing::HttpCall(app_->port(), "POST", "/api/integrations/telegram/connect",
                               config.dump(), token);
    EXPECT_EQ(r.status, expect) << r.body;
    return json::parse(r.body, nullptr, false);
  }

  testing::HttpResult Deliver(const std::string& id, const std::string& body,
                              const std::string& secret) {
    std::map<std::string, std::string> h = {{"Content-Type", "application/json"}};
    if (!secret.empty()) h["X-Telegram-Bot-Api-Secret-Token"] = secret;
    return testing::HttpCall(app_->port(), "POST", "/hooks/telegram/" + id, body, "", h);
  }

  std::int64_t Count(const std::string& table) {
    return app_->pool().InTransaction([&](db::Transaction& tx) {
      std::int64_t n = 0;
      auto schemas = tx.Exec("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant_%'");
      for (int i = 0; i < schemas.Rows(); ++i)
        n += tx.Exec("SELECT count(*) FROM " + schemas.Text(i, 0) + "." + table).Int(0, 0);
      return n;
    });
  }

  bool WaitQuiet(std::chrono::milliseconds timeout) {
    return testing::WaitForQuietJobs(db_.url(), timeout);
  }

  fakes::FakeTelegram fake_{kToken};
  testing::TestDatabase db_;
  std::unique_ptr<app::HostApp> app_;
};

TEST_F(ChannelsTest, ConnectsToASlowProviderHoldNoConnectionAndAreCappedPerOrganisation) {
  const std::string a = Register("a@slow.test"), b = Register("b@slow.test"),
                    c = Register("c@slow.test");
  fake_.HoldVerification();
  // Organisation A asks for six connects, B for four: A's first four and B's four wait at
  // the provider (four per organisation, plugins.max_calls_per_tenant); A's other two are
  // refused at once. Eight waiting connects: as many as the pool has connections.
  std::vector<std::string> outcomes(10);  // "201" or the error code
  std::vector<std::thread> clients;
  for (int i = 0; i < 10; ++i) {
    clients.emplace_back([&, i] {
      const auto r = testing::HttpCall(app_->port(), "POST", "/api/integrations/telegram/connect",
                                       json{{"bot_token", kToken}}.dump(), i < 6 ? a : b);
      outcomes[i] =
          r.status == 201 ? "201" : json::parse(r.body, nullptr, false)["error"].value("code", "?");
    });
    if (i == 3) {
      EXPECT_TRUE(fake_.WaitForHeld(4, std::chrono::seconds(20)));
    }
  }
  EXPECT_TRUE(fake_.WaitForHeld(8, std::chrono::seconds(20)));
  // While eight provider calls hang, others are served at once: the pool has eight
  // connections (pool_size: 8), so had each hanging connect held one, these requests would
  // wait out the acquire timeout and get 503. (The pool's in_use is not asserted: workers
  // and the poller use connections briefly at any moment.)
  const auto timeouts = app_->pool().Stats().timeouts;
  const auto waits = app_->pool().Stats().waits;
  EXPECT_EQ(testing::HttpCall(app_->port(), "GET", "/api/auth/me", "", c).status, 200);
  EXPECT_EQ(testing::HttpCall(app_->port(), "GET", "/api/integrations", "", a).status, 200);
  EXPECT_EQ(app_->pool().Stats().timeouts, timeouts);
  EXPECT_LE(app_->pool().Stats().waits - waits, 2u);
  fake_.ReleaseVerification();
  for (auto& t : clients) t.join();
  auto count = [&](int from, int to, const std::string& what) {
    return std::count(outcomes.begin() + from, outcomes.begin() + to, what);
  };
  // A: two refused at the cap at once; of the four verified, the plan (one bot) keeps one
  // and refuses three when recording. B: one kept, three refused by the plan.
  EXPECT_EQ(count(0, 6, "rate_limited"), 2);
  EXPECT_EQ(count(0, 6, "201"), 1);
  EXPECT_EQ(count(0, 6, "limit_exceeded"), 3);
  EXPECT_EQ(count(6, 10, "201"), 1);
  EXPECT_EQ(count(6, 10, "limit_exceeded"), 3);
  for (std::int64_t tenant = 1; tenant <= 3; ++tenant)  // every slot was given back
    EXPECT_EQ(app_->plugins().tenant_calls().in_flight(tenant), 0) << tenant;
}

TEST_F(ChannelsTest, ConnectValidatesTheTokenRegistersAWebhookAndSealsTheToken) {
  const auto token = Register("owner@aurora.test");
  // A token Telegram refuses: 400 and nothing stored.
  Connect(token, {{"bot_token", "999:wrong-token-wrong-token-000"}}, 400);
  // A config the schema refuses names the field.
  auto bad =
      Connect(token, {{"bot_token", "123:ok-looking-token-but"}, {"mode", "carrier-pigeon"}}, 400);
  EXPECT_EQ(bad["error"]["field"], "mode");

  const auto j = Connect(token, {{"bot_token", kToken}});
  const std::string id = j["id"];
  EXPECT_EQ(j["status"], "active");
  EXPECT_EQ(j["connection"]["mode"], "webhook");
  EXPECT_EQ(j["connection"]["bot"]["username"], "salon_test_bot");
  EXPECT_EQ(fake_.webhook_url(), "https://sloth.example/hooks/telegram/" + id);
  EXPECT_GE(fake_.webhook_secret().size(), 32u);
  EXPECT_FALSE(j["config"].contains("bot_token"));
  EXPECT_EQ(j["config"]["mode"], "auto");

  // Sealed at rest: the stored bytes (decoded, not their hex text) do not hold the token;
  // they open with the master key to the config that was sent, and with nothing else: a
  // wrong key or one altered byte fails.
  const std::string sealed = app_->pool().InTransaction([&](db::Transaction& tx) {
    return tx
        .Exec(
            "SELECT encode(config_encrypted, 'hex') FROM public.integrations "
            "WHERE id = $1::uuid",
            id)
        .Text(0, 0);
  });
  std::string raw;
  for (std::size_t i = 0; i + 1 < sealed.size(); i += 2)
    raw += static_cast<char>(std::stoi(sealed.substr(i, 2), nullptr, 16));
  ASSERT_GT(raw.size(), std::string(kToken).size());
  EXPECT_EQ(raw.find("ABC-DEF1234ghIkl"), std::string::npos);
  EXPECT_EQ(raw.find("123456:"), std::string::npos);
  const auto box = crypto::SecretBox::FromKey(std::string(64, 'a'), "");
  EXPECT_EQ(json::parse(box->Open(raw))["bot_token"], kToken);
  EXPECT_THROW(crypto::SecretBox::FromKey(std::string(64, 'b'), "")->Open(raw), std::runtime_error);
  std::string altered = raw;
  altered[altered.size() / 2] ^= 0x01;
  EXPECT_THROW(box->Open(altered), std::runtime_error);
  const auto row = app_->pool().InTransaction([&](db::Transaction& tx) {
    return tx.Exec("SELECT t::text FROM public.integrations t WHERE id = $1::uuid", id).Text(0, 0);
  });
  EXPECT_EQ(row.find("ABC-DEF1234ghIkl"), std::string::npos) << row;
  const auto list = testing::HttpCall(app_->port(), "GET", "/api/integrations", "", token);
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find("ABC-DEF1234ghIkl"), std::string::npos);
  EXPECT_EQ(json::parse(list.body)["items"].size(), 1u);

  // Free allows one integration.
  auto second = Connect(token, {{"bot_token", kToken}}, 429);
  EXPECT_EQ(second["error"]["field"], "integrations");

  // Disconnect deletes the webhook and wipes the credentials.
  EXPECT_EQ(testing::HttpCall(app_->port(), "DELETE", "/api/integrations/" + id, "", token).status,
            204);
  EXPECT_TRUE(fake_.webhook_url().empty());
  EXPECT_EQ(Deliver(id, TextUpdate(1, "hi").dump(), "x").status, 410);
}

TEST_F(ChannelsTest, AnUpdateDeliveredTwiceIsAnsweredOnce) {
  const auto token = Register("twice@aurora.test");
  const std::string id = Connect(token, {{"bot_token", kToken}})["id"];
  const std::string secret = fake_.webhook_secret();
  const std::string body = TextUpdate(10000, "Hello! How much is a manicure?").dump();
  ASSERT_EQ(Deliver(id, body, secret).status, 200);
  ASSERT_EQ(Deliver(id, body, secret).status, 200);
  ASSERT_TRUE(fake_.WaitForSent(1, 10s));
  ASSERT_TRUE(WaitQuiet(10s));  // both deliveries fully processed
  const auto sent = fake_.sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].params["chat_id"], "1111111");
  EXPECT_EQ(sent[0].params["parse_mode"], "HTML");
  // No price list was uploaded: the assistant says so instead of inventing one.
  EXPECT_NE(sent[0].params["text"].get<std::string>().find("could not find"), std::string::npos);

  // The conversation API shows it: one conversation, the question and the answer.
  auto list = json::parse(
      testing::HttpCall(app_->port(), "GET", "/api/conversations?source=telegram", "", token).body);
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["customer_name"], "Ann");
  const auto conv = json::parse(
      testing::HttpCall(app_->port(), "GET", "/api/conversations/" + list["items"][0]["id"].dump(),
                        "", token)
          .body);
  ASSERT_EQ(conv["messages"]["items"].size(), 2u);
  EXPECT_EQ(conv["messages"]["items"][0]["direction"], "in");
  EXPECT_EQ(conv["messages"]["items"][1]["direction"], "out");
  EXPECT_EQ(conv["messages"]["items"][1]["status"], "sent");

  auto usage = json::parse(
      testing::HttpCall(app_->port(), "GET", "/api/subscriptions/usage", "", token).body);
  EXPECT_EQ(usage["usage"]["messages"]["used"], 1);
  EXPECT_EQ(usage["usage"]["conversations"]["used"], 1);
  auto integ =
      json::parse(testing::HttpCall(app_->port(), "GET", "/api/integrations", "", token).body);
  EXPECT_EQ(integ["items"][0]["stats"]["received"], 1);
  EXPECT_EQ(integ["items"][0]["stats"]["sent"], 1);
}

// Concurrent deliveries to one salon are written in shared transactions (db::GroupCommit):
// each is still stored once, answered 200 only once stored, and counted once. (That a
// delivery PostgreSQL refuses fails alone is GroupCommit's unit test.)
TEST_F(ChannelsTest, ConcurrentDeliveriesAreStoredOnceEachAndCountedOnce) {
  Start(0, "https://sloth.example", /*workers=*/false);
  const auto token = Register("group@aurora.test");
  const std::string id = Connect(token, {{"bot_token", kToken}})["id"];
  const std::string secret = fake_.webhook_secret();
  constexpr int kUpdates = 40;  // 20 chats, two messages each, every update delivered twice
  std::vector<std::string> bodies;
  for (int i = 0; i < kUpdates; ++i)
    bodies.push_back(
        TextUpdate(20000 + i, "Is Saturday free? #" + std::to_string(i), 5000000 + i % 20).dump());
  std::atomic<int> ok{0}, failed{0}, go{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2 * kUpdates; ++t) {
    threads.emplace_back([&, t] {
      ++go;
      while (go < 2 * kUpdates) std::this_thread::yield();
      const auto r = Deliver(id, bodies[t % kUpdates], secret);
      (r.status == 200 ? ok : failed)++;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 2 * kUpdates);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(Count("inbound_events"), kUpdates);
  const auto jobs = app_->pool().InTransaction([](db::Transaction& tx) {
    return tx.Exec(
        "SELECT count(DISTINCT payload->>'chat_id'), count(*) FROM public.jobs WHERE "
        "kind = 'channels.process'");
  });
  EXPECT_EQ(jobs.Int(0, 0), 20);        // every chat with news has its job
  EXPECT_LE(jobs.Int(0, 1), kUpdates);  // and at most one per new message
  auto integ =
      json::parse(testing::HttpCall(app_->port(), "GET", "/api/integrations", "", token).body);
  EXPECT_EQ(integ["items"][0]["stats"]["received"], kUpdates);
  const auto [groups, deliveries] = app_->channels().inbound_groups();
  EXPECT_EQ(deliveries, static_cast<std::size_t>(2 * kUpdates));
  EXPECT_LE(groups, deliveries);
}

// PostgreSQL cannot store U+0000; refusing the message would have Telegram redeliver it
// forever. It is stored with U+FFFD in its place and answered.
TEST_F(ChannelsTest, AMessageWithANulCharacterIsStoredWithAReplacementCharacter) {
  Start(0, "https://sloth.example", /*workers=*/false);
  const auto token = Register("nul@aurora.test");
  const std::string id = Connect(token, {{"bot_token", kToken}})["id"];
  const auto r =
      Deliver(id, TextUpdate(31000, std::string("a\0b", 3)).dump(), fake_.webhook_secret());
  EXPECT_EQ(r.status, 200) << r.body;
  const auto text = app_->pool().InTransaction([](db::Transaction& tx) {
    auto s = tx.Exec("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant_%'");
    for (int i = 0; i < s.Rows(); ++i) {
      auto t = tx.Exec("SELECT payload->>'text' FROM " + s.Text(i, 0) + ".inbound_events");
      if (t.Rows() > 0) return t.Text(0, 0);
    }
    return std::string();
  });
  EXPECT_EQ(text,
            "a\xEF\xBF\xBD"
            "b");
}

TEST_F(ChannelsTest, BadDeliveriesAreRefusedAndStoreNothing) {
  const auto token = Register("bad@aurora.test");
  const std::string id = Connect(token, {{"bot_token", kToken}})["id"];
  const std::string secret = fake_.webhook_secret();
  const std::string body = TextUpdate(20000, "hi").dump();
  EXPECT_EQ(Deliver(id, body, "").status, 403);
  EXPECT_EQ(Deliver(id, body, secret + "x").status, 403);
  EXPECT_EQ(Deliver(id, body, secret.substr(1)).status, 403);
  EXPECT_EQ(Deliver(id, "{\"update_id\": 1, \"message\": {", secret).status, 400);
  EXPECT_EQ(Deliver(id, "[1,2,3]", secret).status, 400);
  EXPECT_EQ(Count("inbound_events"), 0);
  // An update type we do not handle: 200, ignored.
  const json member = {{"update_id", 20001},
                       {"my_chat_member", {{"chat", {{"id", 5}, {"type", "private"}}}}}};
  EXPECT_EQ(Deliver(id, member.dump(), secret).status, 200);
  EXPECT_EQ(Deliver(id, member.dump(), secret).status, 200);
  EXPECT_EQ(Count("inbound_events"), 0);
  // Unknown integration, or the right id under another plugin's path.
  EXPECT_EQ(Deliver("00000000-0000-0000-0000-000000000000", body, secret).status, 404);
  EXPECT_EQ(testing::HttpCall(app_->port(), "POST", "/hooks/whatsapp/" + id, body).status, 404);
}

TEST_F(ChannelsTest, RateLimitedSendIsRetriedAfterRetryAfterNotBefore) {
  const auto token = Register("slow@aurora.test");
  const std::string id = Connect(token, {{"bot_token", kToken}})["id"];
  fake_.RateLimitNext(1, 2);
  ASSERT_EQ(Deliver(id, TextUpdate(30000, "hello").dump(), fake_.webhook_secret()).status, 200);
  ASSERT_TRUE(fake_.WaitForSent(1, 15s));
  const auto attempts = fake_.attempts();
  ASSERT_EQ(attempts.size(), 2u);
  const auto gap = attempts[1].at - attempts[0].at;
  EXPECT_GE(gap, 2s) << std::chrono::duration_cast<std::chrono::milliseconds>(gap).count();
  // The retry sent the reply the first run stored: the assistant answered once, and the same
  // text went out both times.
  ASSERT_TRUE(WaitQuiet(10s));
  EXPECT_EQ(Count("messages WHERE direction = 'out'"), 1);
  EXPECT_EQ(Count("messages WHERE direction = 'out' AND status = 'sent'"), 1);
  EXPECT_EQ(attempts[0].params["text"], attempts[1].params["text"]);
}

TEST_F(ChannelsTest, PhotosEditsAndCallbacksArriveAsTheirKinds) {
  const auto token = Register("kinds@aurora.test");
  const std::string id = Connect(token, {{"bot_token", kToken}})["id"];
  const std::string secret = fake_.webhook_secret();
  const json photo = {
      {"update_id", 40000},
      {"message",
       {{"message_id", 7},
        {"from", {{"id", 42}, {"is_bot", false}, {"first_name", "Bo"}}},
        {"chat", {{"id", 42}, {"type", "private"}}},
        {"date", 1700000000},
        {"caption", "Can you do these nails?"},
        {"photo",
         json::array(
             {{{"file_id", "small"}, {"file_unique_id", "s"}, {"width", 90}, {"height", 90}},
              {{"file_id", "large"},
               {"file_unique_id", "l"},
               {"width", 1280},
               {"height", 1280},
               {"file_size", 1000}}})}}}};
  const json edited = {{"update_id", 40001},
                       {"edited_message",
                        {{"message_id", 7},
                         {"from", {{"id", 42}, {"is_bot", false}, {"first_name", "Bo"}}},
                         {"chat", {{"id", 42}, {"type", "private"}}},
                         {"date", 1700000000},
                         {"edit_date", 1700000100},
                         {"text", "Can you do these nails by Friday?"}}}};
  const json callback = {
      {"update_id", 40002},
      {"callback_query",
       {{"id", "4382bfdwdsb323b2d9"},
        {"from", {{"id", 42}, {"is_bot", false}, {"first_name", "Bo"}}},
        {"message",
         {{"message_id", 8}, {"chat", {{"id", 42}, {"type", "private"}}}, {"date", 1700000000}}},
        {"chat_instance", "-7"},
        {"data", "slot:10"}}}};
  for (const auto& u : {photo, edited, callback})
    ASSERT_EQ(Deliver(id, u.dump(), secret).status, 200);
  EXPECT_EQ(fake_.answered_callbacks(), std::vector<std::string>{"4382bfdwdsb323b2d9"});
  const auto rows = app_->pool().InTransaction([&](db::Transaction& tx) {
    auto s = tx.Exec("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant_%'").Text(0, 0);
    auto r = tx.Exec(
        "SELECT type || '|' || coalesce(payload->>'text', '') || '|' || "
        "coalesce(payload->'photo'->>'file_id', '') || '|' || coalesce(payload->>'callback_data', "
        "'') FROM " +
        s + ".inbound_events ORDER BY id");
    std::vector<std::string> out;
    for (int i = 0; i < r.Rows(); ++i) out.push_back(r.IsNull(i, 0) ? "" : r.Text(i, 0));
    return out;
  });
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0], "message|Can you do these nails?|large|");
  // The photo itself was fetched with getFile and is in the tenant's storage.
  const auto key = app_->pool().InTransaction([&](db::Transaction& tx) {
    auto s = tx.Exec("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant_%'").Text(0, 0);
    return tx
        .Exec("SELECT payload->'photo'->>'storage_key' FROM " + s +
              ".inbound_events WHERE type = 'message'")
        .Text(0, 0);
  });
  EXPECT_NE(key.find("/inbound/" + id + "/40000.jpeg"), std::string::npos) << key;
  EXPECT_TRUE(std::filesystem::exists("/tmp/sloth-channel-blobs/" + key)) << key;
  EXPECT_EQ(rows[1], "edited|Can you do these nails by Friday?||");
  EXPECT_EQ(rows[2], "callback|||slot:10");
}

TEST_F(ChannelsTest, ClientPhotosCountAgainstStorageAndExpire) {
  Start(0, "https://sloth.example", /*workers=*/false);
  const auto token = Register("media@aurora.test");  // Free: 100 MB of storage
  const std::string id = Connect(token, {{"bot_token", kToken}})["id"];
  auto storage_used = [&] {
    const auto r = testing::HttpCall(app_->port(), "GET", "/api/subscriptions/usage", "", token);
    return json::parse(r.body)["usage"]["storage_mb"]["used"].get<std::int64_t>();
  };
  auto photo = [&](int n) {
    return json{{"update_id", 50000 + n},
                {"message",
                 {{"message_id", 70 + n},
                  {"from", {{"id", 43}, {"is_bot", false}, {"first_name", "Cy"}}},
                  {"chat", {{"id", 43}, {"type", "private"}}},
                  {"date", 1700000000},
                  {"photo", json::array({{{"file_id", "p" + std::to_string(n)},
                                          {"file_unique_id", "u" + std::to_string(n)},
                                          {"width", 90},
                                          {"height", 90}}})}}}};
  };
  const std::string schema = app_->pool().InTransaction([&](db::Transaction& tx) {
    return tx.Exec("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant_%'").Text(0, 0);
  });
  auto stored_key = [&](int n) {
    return app_->pool().InTransaction([&](db::Transaction& tx) {
      auto r = tx.Exec(
          "SELECT coalesce(payload->'photo'->>'storage_key', payload->'photo'->>"
          "'error') FROM " +
              schema + ".inbound_events ORDER BY id OFFSET $1 LIMIT 1",
          n - 1);
      return r.Empty() || r.IsNull(0, 0) ? std::string() : r.Text(0, 0);
    });
  };
  ASSERT_EQ(Deliver(id, photo(1).dump(), fake_.webhook_secret()).status, 200);
  const std::string key = stored_key(1);
  ASSERT_NE(key.find("/inbound/"), std::string::npos) << key;
  EXPECT_EQ(storage_used(), 1);  // one photo: one megabyte, as uploads count

  // A full quota keeps the message and drops its photo.
  app_->pool().InTransaction([&](db::Transaction& tx) {
    tx.Exec("UPDATE public.usage_counters SET used = 100 WHERE metric = 'storage_mb'");
  });
  ASSERT_EQ(Deliver(id, photo(2).dump(), fake_.webhook_secret()).status, 200);
  EXPECT_NE(stored_key(2).find("not stored"), std::string::npos) << stored_key(2);
  app_->pool().InTransaction([&](db::Transaction& tx) {
    tx.Exec("UPDATE public.usage_counters SET used = 1 WHERE metric = 'storage_mb'");
  });

  // Past the retention the photo leaves storage and the quota; the message stays.
  app_->pool().InTransaction([&](db::Transaction& tx) {
    tx.Exec("UPDATE " + schema + ".inbound_events SET received_at = now() - interval '91 days'");
    jobs::Enqueue(tx, "channels.media_cleanup_scan", json::object(), {});
  });
  app_->jobs().Drain("default");  // the scan, then each organisation's cleanup
  EXPECT_EQ(storage_used(), 0);
  EXPECT_FALSE(std::filesystem::exists("/tmp/sloth-channel-blobs/" + key)) << key;
  const auto expired = app_->pool().InTransaction([&](db::Transaction& tx) {
    return tx
        .Exec("SELECT count(*) FROM " + schema +
              ".inbound_events WHERE payload->'photo'->>'expired' = 'true'")
        .Int(0, 0);
  });
  EXPECT_EQ(expired, 1);
}

TEST_F(ChannelsTest, SendsLongTextInPiecesPhotosAndKeyboardsAtTheChatsPace) {
  const auto token = Register("send@aurora.test");
  const std::string id = Connect(token, {{"bot_token", kToken}})["id"];
  const auto row = app_->pool().InTransaction(
      [&](db::Transaction& tx) { return *integrations::IntegrationRepository().Find(tx, id); });
  auto inst = app_->integrations().Instance(row);
  std::string text;
  for (int i = 0; i < 120; ++i)
    text += "Manicure <classic> & gel polish, sentence " + std::to_string(i) + ". ";
  const auto a = inst->Send(json{
      {"chat_id", "77"}, {"text", text}, {"keyboard", {{{{"text", "10:00"}, {"data", "slot:10"}}}}}}
                                .dump());
  ASSERT_TRUE(a.ok()) << a.error;
  const auto b =
      inst->Send(json{{"chat_id", "77"},
                      {"photo", {{"url", "https://example.com/nails.jpg"}, {"caption", "Ours <3"}}}}
                     .dump());
  ASSERT_TRUE(b.ok()) << b.error;
  const auto sent = fake_.sent();
  ASSERT_EQ(sent.size(), 3u);  // ~7,000 characters: two messages, then the photo
  EXPECT_EQ(sent[0].method, "sendmessage");
  EXPECT_LE(sent[0].params["text"].get<std::string>().size(), 4096u * 2);
  EXPECT_NE(sent[0].params["text"].get<std::string>().find("&lt;classic&gt; &amp; gel"),
            std::string::npos);
  EXPECT_FALSE(sent[0].params.contains("reply_markup"));
  EXPECT_EQ(sent[1].params["reply_markup"]["inline_keyboard"][0][0]["callback_data"], "slot:10");
  EXPECT_EQ(sent[2].method, "sendphoto");
  EXPECT_EQ(sent[2].params["caption"], "Ours &lt;3");
  // One chat, about one message a second.
  EXPECT_GE(sent[1].at - sent[0].at, 900ms);
  EXPECT_GE(sent[2].at - sent[1].at, 900ms);
}

TEST_F(ChannelsTest, PastThePlansLimitThePoliteReplyGoesOutInstead) {
  const auto token = Register("limit@aurora.test");  // free: 100 messages a month
  const std::string id = Connect(token, {{"bot_token", kToken}})["id"];
  app_->pool().InTransaction([&](db::Transaction& tx) {
    for (int i = 0; i < 100; ++i) {
      billing::UsageMeter().Consume(tx, tx.Exec("SELECT id FROM public.tenants").Int(0, 0),
                                    "messages");
    }
  });
  ASSERT_EQ(Deliver(id, TextUpdate(70000, "How much is a pedicure?").dump(), fake_.webhook_secret())
                .status,
            200);
  ASSERT_TRUE(fake_.WaitForSent(1, 10s));
  EXPECT_EQ(fake_.sent()[0].params["text"],
            "Thank you for your message! We have reached our message limit for now; the salon "
            "will get back to you soon.");
  // The message is kept for the salon to read; the count stays at the limit.
  EXPECT_EQ(Count("messages"), 2);
  auto usage = json::parse(
      testing::HttpCall(app_->port(), "GET", "/api/subscriptions/usage", "", token).body);
  EXPECT_EQ(usage["usage"]["messages"]["used"], 100);
}

TEST_F(ChannelsTest, PollingAnswersAnUpdateReturnedTwiceOnce) {
  app_->Stop();
  app_.reset();
  Start(0, /*public_url=*/"");  // no public URL: the bot long-polls
  const auto token = Register("poll@aurora.test");
  const auto j = Connect(token, {{"bot_token", kToken}});
  EXPECT_EQ(j["connection"]["mode"], "polling");
  EXPECT_TRUE(fake_.webhook_url().empty());
  const auto update = TextUpdate(60000, "Hello there");
  fake_.AddUpdate(update);
  ASSERT_TRUE(fake_.WaitForSent(1, 15s));
  // Telegram hands the same update out again (say the confirm was lost): answered once.
  const int polls = fake_.polls();
  fake_.Redeliver(update);
  for (int i = 0; i < 100 && fake_.polls() < polls + 2; ++i) std::this_thread::sleep_for(100ms);
  ASSERT_TRUE(WaitQuiet(10s));  // the redelivered update was stored (or not) and processed
  EXPECT_EQ(fake_.sent().size(), 1u);
  EXPECT_EQ(Count("inbound_events"), 1);
}

// A reply goes out while the bot's long poll is held open: calls into one Telegram
// instance run concurrently, so a send never queues behind getUpdates.
TEST_F(ChannelsTest, PollingRepliesDoNotWaitForTheLongPoll) {
  app_->Stop();
  app_.reset();
  // Polls held 2 s (poll_timeout 3 s); the reply leaves 300 ms after the update arrived.
  app_ = std::make_unique<app::HostApp>(
      config::ParseHostConfig(HostYaml(db_.url(), fake_.base_url(), 0, 300, ""), "test.yaml",
                              [](const std::string& name) -> std::optional<std::string> {
                                if (name == "SLOTH_CHANNELS_POLL_TIMEOUT_MS") return "3000";
                                return std::nullopt;
                              }));
  app_->Start();
  const auto token = Register("poll-fast@aurora.test");
  ASSERT_EQ(Connect(token, {{"bot_token", kToken}})["connection"]["mode"], "polling");
  fake_.AddUpdate(TextUpdate(61000, "Hello there"));
  ASSERT_TRUE(fake_.WaitForSent(1, 15s));
  const auto sent = fake_.sent();
  ASSERT_EQ(sent.size(), 1u);
  // The poller was back in getUpdates (held for poll_timeout) long before the burst window
  // ended; the reply did not wait for that poll to return.
  EXPECT_TRUE(sent[0].during_poll);
}

constexpr const char* kWaToken = "EAAG-fake-whatsapp-access-token-0123456789";
constexpr const char* kAppSecret = "app-secret-0123456789abcdef";
constexpr const char* kPhoneId = "106540352242922";

class WhatsAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    app_ = std::make_unique<app::HostApp>(config::ParseHostConfig(
        HostYaml(db_.url(), "http://127.0.0.1:9", 0, 0, "https://sloth.example", wa_.base_url()),
        "test.yaml", [](const std::string&) { return std::nullopt; }));
    app_->Start();
  }
  void TearDown() override { app_->Stop(); }

  std::string Register(const std::string& email, const std::string& plan) {
    auto r = testing::HttpCall(app_->port(), "POST", "/api/auth/register",
                               json{{"email", email},
                                    {"password", "a long passphrase 42"},
                                    {"organization_name", "Salon Aurora"},
                                    {"plan", plan}}
                                   .dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body)["access_token"];
  }
  testing::HttpResult Connect(const std::string& token) {
    return testing::HttpCall(app_->port(), "POST", "/api/integrations/whatsapp/connect",
                             json{{"access_token", kWaToken},
                                  {"app_secret", kAppSecret},
                                  {"verify_token", "verify-me-please"},
                                  {"phone_number_id", kPhoneId}}
                                 .dump(),
                             token);
  }
  testing::HttpResult Post(const std::string& id, const std::string& body,
                           const std::string& signature) {
    std::map<std::string, std::string> h = {{"Content-Type", "application/json"}};
    if (!signature.empty()) h["X-Hub-Signature-256"] = signature;
    return testing::HttpCall(app_->port(), "POST", "/hooks/whatsapp/" + id, body, "", h);
  }
  std::string Sql(const std::string& sql) {
    return app_->pool().InTransaction([&](db::Transaction& tx) {
      const auto s =
          tx.Exec("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tenant_%'").Text(0, 0);
      tx.Exec("SELECT set_config('search_path', $1, true)", s);
      auto r = tx.Exec(sql);
      return r.Empty() || r.IsNull(0, 0) ? std::string() : r.Text(0, 0);
    });
  }

  fakes::FakeWhatsApp wa_{kWaToken, kPhoneId};
  testing::TestDatabase db_;
  std::unique_ptr<app::HostApp> app_;
};

TEST_F(WhatsAppTest, TheFreePlanCannotConnectWhatsApp) {
  const auto token = Register("free@wa.test", "free");
  const auto r = Connect(token);
  EXPECT_EQ(r.status, 402) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"]["field"], "whatsapp");
  EXPECT_EQ(app_->pool().InTransaction([](db::Transaction& tx) {
    return tx.Exec("SELECT count(*) FROM public.integrations").Int(0, 0);
  }),
            0);
}

TEST_F(WhatsAppTest, VerifiesSignsAnswersAndRecordsStatuses) {
  const auto token = Register("starter@wa.test", "starter");
  const auto c = Connect(token);
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string id = json::parse(c.body)["id"];
  EXPECT_EQ(json::parse(c.body)["connection"]["phone"], "15550783881");
  EXPECT_EQ(c.body.find(kWaToken), std::string::npos);
  EXPECT_EQ(c.body.find(kAppSecret), std::string::npos);

  // The GET handshake.
  auto hs = testing::HttpCall(app_->port(), "GET",
                              "/hooks/whatsapp/" + id +
                                  "?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token="
                                  "verify-me-please");
  EXPECT_EQ(hs.status, 200);
  EXPECT_EQ(hs.body, "1158201444");
  EXPECT_EQ(testing::HttpCall(app_->port(), "GET",
                              "/hooks/whatsapp/" + id +
                                  "?hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope")
                .status,
            403);

  const long long now = std::time(nullptr);
  const std::string body =
      fakes::FakeWhatsApp::TextNotification("16315551234", "wamid.ABGG1", "Hi", now).dump();
  EXPECT_EQ(Post(id, body, "").status, 403);
  EXPECT_EQ(Post(id, body, fakes::FakeWhatsApp::Sign(body, "another-secret")).status, 403);
  // The signature covers the raw bytes: the same JSON re-serialised with a space fails.
  EXPECT_EQ(Post(id, body + " ", fakes::FakeWhatsApp::Sign(body, kAppSecret)).status, 403);
  EXPECT_EQ(Sql("SELECT count(*) FROM inbound_events"), "0");
  const std::string sig = fakes::FakeWhatsApp::Sign(body, kAppSecret);
  ASSERT_EQ(Post(id, body, sig).status, 200);
  ASSERT_EQ(Post(id, body, sig).status, 200);  // at-least-once delivery
  ASSERT_TRUE(wa_.WaitForSent(1, 10s));
  ASSERT_TRUE(testing::WaitForQuietJobs(db_.url(), 10s));  // both deliveries fully processed
  ASSERT_EQ(wa_.sent().size(), 1u);
  EXPECT_EQ(wa_.sent()[0]["to"], "16315551234");
  EXPECT_EQ(wa_.sent()[0]["type"], "text");
  EXPECT_EQ(Sql("SELECT customer_name FROM conversations"), "Kerry Fisher");

  // Statuses land on the sent message, in order, once.
  const std::string wamid = wa_.last_message_id();
  for (const char* st : {"delivered", "read", "delivered"}) {
    const std::string s = fakes::FakeWhatsApp::StatusNotification(wamid, "16315551234", st).dump();
    ASSERT_EQ(Post(id, s, fakes::FakeWhatsApp::Sign(s, kAppSecret)).status, 200);
  }
  EXPECT_EQ(Sql("SELECT status FROM messages WHERE direction = 'out'"), "read");

  // Outside the 24-hour window a free-form reply is refused with a clear reason.
  Sql("UPDATE conversations SET last_inbound_at = now() - interval '25 hours' RETURNING 1");
  Sql("WITH m AS (INSERT INTO messages (conversation_id, direction, author, text, status) SELECT "
      "id, 'out', 'staff', 'Your appointment is tomorrow', 'pending' FROM conversations RETURNING "
      "id) SELECT id FROM m");
  const std::string late = Sql("SELECT max(id) FROM messages");
  app_->pool().InTransaction([&](db::Transaction& tx) {
    jobs::EnqueueOptions o;
    o.queue = "channels";
    o.tenant_id = tx.Exec("SELECT id FROM public.tenants").Int(0, 0);
    jobs::Enqueue(tx, "channels.send", {{"message_id", std::stoll(late)}}, o);
  });
  std::string status;
  for (int i = 0; i < 50 && status != "failed"; ++i) {
    std::this_thread::sleep_for(100ms);
    status = Sql("SELECT status FROM messages WHERE id = " + late);
  }
  EXPECT_EQ(status, "failed");
  EXPECT_NE(Sql("SELECT error FROM messages WHERE id = " + late).find("24-hour"),
            std::string::npos);
  EXPECT_EQ(wa_.sent().size(), 1u);
}

TEST_F(WhatsAppTest, ImagesAreDownloadedWithTheBearerTokenIntoStorage) {
  const auto token = Register("image@wa.test", "starter");
  const auto c = Connect(token);
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string id = json::parse(c.body)["id"];
  json n =
      fakes::FakeWhatsApp::TextNotification("16315551234", "wamid.IMG1", "", std::time(nullptr));
  auto& m = n["entry"][0]["changes"][0]["value"]["messages"][0];
  m["type"] = "image";
  m.erase("text");
  m["image"] = {{"caption", "this colour please"},
                {"mime_type", "image/jpeg"},
                {"sha256", "0f"},
                {"id", "987654321"}};
  const std::string body = n.dump();
  ASSERT_EQ(Post(id, body, fakes::FakeWhatsApp::Sign(body, kAppSecret)).status, 200);
  const std::string key = Sql("SELECT payload->'photo'->>'storage_key' FROM inbound_events");
  EXPECT_NE(key.find("/inbound/" + id + "/wamid_IMG1.jpeg"), std::string::npos) << key;
  EXPECT_TRUE(std::filesystem::exists("/tmp/sloth-channel-blobs/" + key));
  EXPECT_EQ(Sql("SELECT payload->>'text' FROM inbound_events"), "this colour please");
}

// Sums a counter's series in a /metrics text whose labels include every one of `with`.
double CounterSum(const std::string& metrics_text, const std::string& name,
                  std::initializer_list<const char*> with) {
  double n = 0;
  std::istringstream lines(metrics_text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(name + "{", 0) != 0) continue;
    bool all = true;
    for (const char* label : with) all = all && line.find(label) != std::string::npos;
    if (all) n += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return n;
}

// Two real hosts on one database, deliveries split between them: every job is claimed by
// one host and its handler runs once, counted by each host's own metrics and by the sends
// that reach the fake Telegram (every attempt, refused ones included).
TEST(ChannelsProcessTest, TwoHostsRunEveryJobOnceCountedByHandlerCalls) {
  fakes::FakeTelegram fake(kToken);
  testing::TestDatabase db;
  const int ports[2] = {testing::FreePort(), testing::FreePort()};
  std::vector<std::string> configs;
  std::vector<std::unique_ptr<testing::HostProcess>> hosts;
  for (const int port : ports) {
    configs.push_back(testing::WriteTempFile(
        HostYaml(db.url(), fake.base_url(), port, 0, "https://sloth.example")));
    hosts.push_back(std::make_unique<testing::HostProcess>(
        std::vector<std::string>{SLOTH_HOST_BINARY, "--config", configs.back()},
        std::map<std::string, std::string>{}));
  }
  for (int h = 0; h < 2; ++h) ASSERT_TRUE(hosts[h]->WaitFor(ports[h], "/ready", 200, 30s));
  auto reg = testing::HttpCall(ports[0], "POST", "/api/auth/register",
                               json{{"email", "two@hosts.test"},
                                    {"password", "a long passphrase 42"},
                                    {"organization_name", "Salon"}}
                                   .dump());
  ASSERT_EQ(reg.status, 201) << reg.body;
  const std::string token = json::parse(reg.body)["access_token"];
  auto conn = testing::HttpCall(ports[1], "POST", "/api/integrations/telegram/connect",
                                json{{"bot_token", kToken}}.dump(), token);
  ASSERT_EQ(conn.status, 201) << conn.body;
  const std::string id = json::parse(conn.body)["id"];

  constexpr int kChats = 40;
  for (int i = 0; i < kChats; ++i) {
    const auto r =
        testing::HttpCall(ports[i % 2], "POST", "/hooks/telegram/" + id,
                          TextUpdate(70000 + i, "How much is a manicure?", 5000000 + i).dump(), "",
                          {{"Content-Type", "application/json"},
                           {"X-Telegram-Bot-Api-Secret-Token", fake.webhook_secret()}});
    ASSERT_EQ(r.status, 200) << r.body;
  }
  ASSERT_TRUE(fake.WaitForSent(kChats, 60s)) << hosts[0]->Log() << hosts[1]->Log();
  ASSERT_TRUE(testing::WaitForQuietJobs(db.url(), 60s));

  std::map<std::string, int> per_chat;  // Telegram takes chat_id as a string or a number
  for (const auto& a : fake.attempts()) {
    const auto& c = a.params["chat_id"];
    ++per_chat[c.is_string() ? c.get<std::string>() : c.dump()];
  }
  EXPECT_EQ(per_chat.size(), static_cast<std::size_t>(kChats));
  for (const auto& [chat, n] : per_chat) EXPECT_EQ(n, 1) << "chat " << chat;

  // The answer job delivers its own reply: no send job runs for an agent's answer.
  double runs[2][3] = {};
  const char* kinds[3] = {"kind=\"channels.process\"", "kind=\"channels.answer\"",
                          "kind=\"channels.send\""};
  const double expected[3] = {kChats, kChats, 0};
  // A worker counts its job after the job's commit, so the job it enqueued can be done by
  // the other host first: the counts are read until they settle (or a bound passes).
  auto read = [&] {
    bool settled = true;
    for (int h = 0; h < 2; ++h) {
      const std::string m = testing::HttpGet(ports[h], "/metrics").body;
      for (int k = 0; k < 3; ++k)
        runs[h][k] = CounterSum(m, "sloth_jobs_processed_total", {kinds[k]});
      EXPECT_EQ(CounterSum(m, "sloth_jobs_processed_total", {"outcome=\"dead\""}), 0) << m;
    }
    for (int k = 0; k < 3; ++k) settled = settled && runs[0][k] + runs[1][k] >= expected[k];
    return settled;
  };
  testing::WaitUntil(read, 10s);
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ(runs[0][k] + runs[1][k], expected[k]) << kinds[k];
  }
  // Both hosts took part (each was woken by the other's deliveries too).
  EXPECT_GT(runs[0][0] + runs[0][1] + runs[0][2], 0);
  EXPECT_GT(runs[1][0] + runs[1][1] + runs[1][2], 0);
  for (auto& h : hosts) h->Signal(SIGTERM);
  for (auto& h : hosts) EXPECT_EQ(h->Wait(15s), 0);
  for (const auto& c : configs) std::remove(c.c_str());
}

// The real binary: killed with SIGKILL after answering 200 and before its reply went out,
// then restarted: the reply goes out exactly once. The token never reaches its log.
TEST(ChannelsProcessTest, KilledAfterThe200TheReplyIsSentExactlyOnceAfterRestart) {
  fakes::FakeTelegram fake(kToken);
  testing::TestDatabase db;
  const int port = testing::FreePort();
  // The reply waits 4 s (the burst window), so the kill lands before it.
  const std::string config = testing::WriteTempFile(
      HostYaml(db.url(), fake.base_url(), port, 4000, "https://sloth.example"));
  auto start = [&] {
    auto h = std::make_unique<testing::HostProcess>(
        std::vector<std::string>{SLOTH_HOST_BINARY, "--config", config},
        std::map<std::string, std::string>{});
    EXPECT_TRUE(h->WaitFor(port, "/ready", 200, 30s)) << h->Log();
    return h;
  };
  auto host = start();
  auto reg = testing::HttpCall(port, "POST", "/api/auth/register",
                               json{{"email", "kill@aurora.test"},
                                    {"password", "a long passphrase 42"},
                                    {"organization_name", "Salon"}}
                                   .dump());
  ASSERT_EQ(reg.status, 201) << reg.body;
  const std::string token = json::parse(reg.body)["access_token"];
  auto conn = testing::HttpCall(port, "POST", "/api/integrations/telegram/connect",
                                json{{"bot_token", kToken}}.dump(), token);
  ASSERT_EQ(conn.status, 201) << conn.body;
  const std::string id = json::parse(conn.body)["id"];
  auto delivered = testing::HttpCall(port, "POST", "/hooks/telegram/" + id,
                                     TextUpdate(50000, "Hi, can I book for tomorrow?").dump(), "",
                                     {{"Content-Type", "application/json"},
                                      {"X-Telegram-Bot-Api-Secret-Token", fake.webhook_secret()}});
  ASSERT_EQ(delivered.status, 200);
  host->Signal(SIGKILL);
  host->Wait(5s);
  EXPECT_TRUE(fake.sent().empty());
  const std::string first_log = host->Log();

  host = start();
  ASSERT_TRUE(fake.WaitForSent(1, 20s)) << host->Log();
  // The killed host's claim, if any, released and every job run: the count is final.
  ASSERT_TRUE(testing::WaitForQuietJobs(db.url(), 60s)) << host->Log();
  EXPECT_EQ(fake.sent().size(), 1u);
  EXPECT_NE(fake.sent()[0].params["text"].get<std::string>().find("book"), std::string::npos);
  host->Signal(SIGTERM);
  host->Wait(15s);
  for (const auto& log : {first_log, host->Log()}) {
    EXPECT_EQ(log.find("ABC-DEF1234ghIkl"), std::string::npos) << "the token reached the log";
  }
  std::remove(config.c_str());
}

}  // namespace
}  // namespace sloth::channels
