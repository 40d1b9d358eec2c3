// Scale-out as README "Deployment" describes it: two real sloth-host processes on one
// database, both through PgBouncer in transaction mode (LISTEN and the session locks on
// database.direct_url), a shared storage folder, the product's own schedule
// (config/host.yaml), and one of them killed with SIGKILL in the middle of the traffic, then
// started again. What must hold: every webhook answered 200 is answered to the client
// exactly once (as Telegram would, a delivery the dead host never answered is sent again, to
// the survivor), every ingestion runs once, every scheduled slot is enqueued by one host
// only and runs to completion, no job dies, each salon sees only its own data, and the
// survivor's vector index answers from documents uploaded through the other host.

#include <atomic>
#include <csignal>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

#include "db/connection.hpp"
#include "fakes/fake_telegram.hpp"
#include "support/host_process.hpp"
#include "support/pgbouncer.hpp"
#include "support/test_db.hpp"
#include "support/wait.hpp"

namespace sloth {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kToken = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";
constexpr int kSalons = 4;

// The scheduler section of config/host.yaml, as shipped: every periodic job of the product.
YAML::Node ShippedSchedule() {
  return YAML::LoadFile(SLOTH_SOURCE_DIR "/config/host.yaml")["scheduler"];
}

std::string ShippedScheduleYaml() {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "scheduler" << YAML::Value << ShippedSchedule()
      << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

// "scheduler: <entry> enqueued for slot <key>" lines of a host's log, by slot key.
std::map<std::string, int> EnqueuedSlots(const std::string& log) {
  static const std::regex line("scheduler: \\S+ enqueued for slot (\\S+)");
  std::map<std::string, int> out;
  for (std::sregex_iterator it(log.begin(), log.end(), line), end; it != end; ++it)
    ++out[(*it)[1].str()];
  return out;
}

std::string HostYaml(const testing::TestDatabase& db, const testing::PgBouncer& bouncer, int port,
                     const std::string& fake, const std::string& blobs) {
  return "http:\n  host: 127.0.0.1\n  port: " + std::to_string(port) +
         "\n  public_url: \"https://sloth.example\"\n"
         "database:\n  url: \"" +
         bouncer.url() + "\"\n  direct_url: \"" + db.url() +
         "\"\n  prepared_statements: false\n  pool_size: 6\n"
         "plans_file: " SLOTH_SOURCE_DIR
         "/config/plans.yaml\nauth:\n  jwt_secret: scale-out-secret-0123456789-abcdefghij\n"
         "secrets:\n  master_key: \"" +
         std::string(64, 'e') +
         "\"\nrate_limits:\n  anonymous_per_hour: 100000\n  user_per_hour: 100000\n"
         "jobs:\n  poll_ms: 100\n  lease_s: 5\nchannels:\n  burst_window_ms: 0\n"
         "plugins:\n  dirs: [\"" SLOTH_PLUGIN_DIR
         "\"]\n  config:\n    storage-local: {data_dir: \"" +
         blobs + "\"}\noutbound_http:\n  allow_private: true\n  rewrite:\n    " +
         "\"https://api.telegram.org\": \"" + fake + "\"\nlog:\n  level: info\n" +
         ShippedScheduleYaml();
}

// Salon s's price list: the same service everywhere, each salon its own price.
std::string PriceList(int s) {
  return "# Prices\n\nZephyr glow facial (60 minutes): " + std::to_string(41 + s) +
         " EUR\n\nClassic manicure (45 minutes): 15 EUR\n";
}

json TextUpdate(long update_id, long chat) {
  return {{"update_id", update_id},
          {"message",
           {{"message_id", update_id},
            {"from", {{"id", chat}, {"is_bot", false}, {"first_name", "Client"}}},
            {"chat", {{"id", chat}, {"first_name", "Client"}, {"type", "private"}}},
            {"date", 1441645532},
            {"text", "How much is a manicure?"}}}};
}

TEST(ScaleOutTest, TwoHostsBehindPgBouncerShareTheWorkAndTheSurvivorFinishesIt) {
  fakes::FakeTelegram fake(kToken);
  testing::TestDatabase db;
  testing::PgBouncer bouncer(db, 6);
  const std::filesystem::path blobs =
      std::filesystem::temp_directory_path() / ("sloth-scale-out-" + db.name());
  std::filesystem::create_directories(blobs);
  const int ports[2] = {testing::FreePort(), testing::FreePort()};
  std::vector<std::string> configs;
  std::vector<std::unique_ptr<testing::HostProcess>> hosts;
  for (const int port : ports) {
    configs.push_back(
        testing::WriteTempFile(HostYaml(db, bouncer, port, fake.base_url(), blobs.string())));
    hosts.push_back(std::make_unique<testing::HostProcess>(
        std::vector<std::string>{SLOTH_HOST_BINARY, "--config", configs.back()},
        std::map<std::string, std::string>{}));
  }
  for (int h = 0; h < 2; ++h)
    ASSERT_TRUE(hosts[h]->WaitFor(ports[h], "/ready", 200, 60s)) << hosts[h]->Log();
  auto call = [&](int host, const std::string& method, const std::string& path, const json& body,
                  const std::string& token) {
    return testing::HttpCall(ports[host], method, path, body.is_null() ? "" : body.dump(), token);
  };

  // Sign-ups and uploads alternate between the hosts; each salon's document is ingested by
  // whichever host's worker claims the job.
  std::vector<std::string> tokens;
  std::vector<std::int64_t> documents;
  for (int s = 0; s < kSalons; ++s) {
    const auto reg = call(s % 2, "POST", "/api/auth/register",
                          {{"email", "salon" + std::to_string(s) + "@scale.test"},
                           {"password", "a long passphrase 42"},
                           {"organization_name", "Salon " + std::to_string(s)},
                           {"plan", "starter"}},
                          "");
    ASSERT_EQ(reg.status, 201) << reg.body;
    tokens.push_back(json::parse(reg.body)["access_token"]);
    const auto m = testing::Multipart("prices.md", PriceList(s));
    const auto up = testing::HttpCall(ports[s % 2], "POST", "/api/documents/upload", m.body,
                                      tokens[s], m.headers);
    ASSERT_EQ(up.status, 202) << up.body;
    documents.push_back(json::parse(up.body)["id"]);
  }
  auto ingested = [&](int host, int s) {
    const auto r = call(host, "GET", "/api/documents/" + std::to_string(documents[s]) + "/status",
                        nullptr, tokens[s]);
    return r.status == 200 && json::parse(r.body)["status"] == "completed";
  };
  for (int s = 0; s < kSalons; ++s)
    ASSERT_TRUE(testing::WaitUntil([&] { return ingested((s + 1) % 2, s); }, 120s))
        << hosts[0]->Log() << hosts[1]->Log();

  // Agent turns through the host that did not take the upload: each salon is quoted its own
  // price, never another's.
  auto ask = [&](int host, int s, const std::string& question) {
    const auto r = call(host, "POST", "/api/agent/chat", {{"message", question}}, tokens[s]);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.status == 200 ? json::parse(r.body)["reply"].get<std::string>() : std::string();
  };
  // Searches through both hosts: each salon finds its own price list and nothing else.
  for (int s = 0; s < kSalons; ++s) {
    for (int host : {0, 1}) {
      const auto r = call(host, "POST", "/api/knowledge/search",
                          {{"query", "zephyr glow facial price"}, {"top_k", 10}}, tokens[s]);
      ASSERT_EQ(r.status, 200) << r.body;
      const auto results = json::parse(r.body)["results"];
      ASSERT_FALSE(results.empty()) << "salon " << s << " on host " << host;
      for (const auto& hit : results) {
        EXPECT_EQ(hit["source"]["id"], documents[s]) << r.body;
        const std::string text = hit["text"];
        for (int other = 0; other < kSalons; ++other) {
          if (other == s) continue;
          EXPECT_EQ(text.find(std::to_string(41 + other) + " EUR"), std::string::npos)
              << "salon " << s << " found salon " << other << "'s price: " << text;
        }
      }
    }
  }
  for (int s = 0; s < kSalons; ++s) {
    const std::string reply = ask((s + 1) % 2, s, "How much is the zephyr glow facial?");
    for (int other = 0; other < kSalons; ++other) {
      const bool quoted = reply.find(std::to_string(41 + other) + " EUR") != std::string::npos;
      EXPECT_EQ(quoted, other == s) << "salon " << s << " was told: " << reply;
    }
  }

  // Telegram traffic for salon 0 from four clients, split between the hosts; host 0 is
  // killed half way. A delivery it did not answer 200 is delivered again to host 1.
  const auto conn =
      call(1, "POST", "/api/integrations/telegram/connect", {{"bot_token", kToken}}, tokens[0]);
  ASSERT_EQ(conn.status, 201) << conn.body;
  const std::string hook = "/hooks/telegram/" + json::parse(conn.body)["id"].get<std::string>();
  constexpr int kUpdates = 120;
  std::atomic<int> next{0}, redelivered{0}, refused{0};
  std::atomic<bool> killed{false};
  std::chrono::steady_clock::time_point killed_at{};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&] {
      for (int i = next++; i < kUpdates; i = next++) {
        if (i == kUpdates / 2 && !killed.exchange(true)) {
          hosts[0]->Signal(SIGKILL);
          hosts[0]->Wait(10s);
          // Once it is gone, not when the signal is sent: a reply it sent in between is one
          // from before its death.
          killed_at = std::chrono::steady_clock::now();
        }
        const std::string body = TextUpdate(80000 + i, 6000000 + i).dump();
        const std::map<std::string, std::string> headers = {
            {"Content-Type", "application/json"},
            {"X-Telegram-Bot-Api-Secret-Token", fake.webhook_secret()}};
        auto r = testing::HttpCall(ports[i % 2], "POST", hook, body, "", headers);
        if (r.status != 200 && i % 2 == 0) {
          ++redelivered;
          r = testing::HttpCall(ports[1], "POST", hook, body, "", headers);
        }
        if (r.status != 200) ++refused;
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_TRUE(killed.load());
  EXPECT_GE(redelivered.load(), kUpdates / 4 - 4);  // host 0's share after the kill, at least
  EXPECT_EQ(refused.load(), 0);

  // The survivor takes over: a new upload through it is ingested and answers at once.
  const auto m = testing::Multipart("more.md", "# Extras\n\nVelvet brow lift: 77 EUR\n");
  const auto up =
      testing::HttpCall(ports[1], "POST", "/api/documents/upload", m.body, tokens[2], m.headers);
  ASSERT_EQ(up.status, 202) << up.body;
  documents[2] = json::parse(up.body)["id"];
  ASSERT_TRUE(testing::WaitUntil([&] { return ingested(1, 2); }, 120s)) << hosts[1]->Log();
  EXPECT_NE(ask(1, 2, "How much is a velvet brow lift?").find("77 EUR"), std::string::npos);
  EXPECT_EQ(ask(1, 3, "How much is a velvet brow lift?").find("77 EUR"), std::string::npos);

  // Host 0 comes back. Its scheduler ticks at start, as every host's does, and finds the
  // slots it would enqueue already taken; its index learns of the upload it missed.
  const std::string killed_log = hosts[0]->Log();
  hosts[0] = std::make_unique<testing::HostProcess>(
      std::vector<std::string>{SLOTH_HOST_BINARY, "--config", configs[0]},
      std::map<std::string, std::string>{});
  ASSERT_TRUE(hosts[0]->WaitFor(ports[0], "/ready", 200, 60s)) << hosts[0]->Log();
  EXPECT_NE(ask(0, 2, "How much is a velvet brow lift?").find("77 EUR"), std::string::npos);

  // Every chat answered, and once — except where the kill fell between Telegram accepting
  // host 0's reply and host 0 recording it: that job's lease runs out and the survivor sends
  // again (a reply twice rather than none; Telegram has no idempotency key). Such a chat's
  // first reply went out before the kill, and there can be no more of them than replies in
  // flight on host 0 at that moment.
  ASSERT_TRUE(fake.WaitForSent(kUpdates, 120s)) << hosts[1]->Log();
  ASSERT_TRUE(testing::WaitForQuietJobs(db.url(), 120s)) << hosts[1]->Log();
  std::map<std::string, std::vector<std::chrono::steady_clock::time_point>> per_chat;
  for (const auto& a : fake.sent()) {
    const auto& c = a.params["chat_id"];
    per_chat[c.is_string() ? c.get<std::string>() : c.dump()].push_back(a.at);
  }
  EXPECT_EQ(per_chat.size(), static_cast<std::size_t>(kUpdates));
  int twice = 0;
  for (const auto& [chat, at] : per_chat) {
    if (at.size() == 1) continue;
    ++twice;
    EXPECT_EQ(at.size(), 2u) << "chat " << chat;
    EXPECT_LT(at[0], killed_at) << "chat " << chat << " was answered twice without a kill between";
    EXPECT_GT(at[1], killed_at) << "chat " << chat;
  }
  EXPECT_LE(twice, 4);  // channels queue workers of host 0

  // Nothing died, and every document was ingested once: equal documents, equal chunks.
  auto admin = db::Connection::Open(db.url(), 5, std::chrono::milliseconds(0));
  EXPECT_EQ(admin->Exec("SELECT count(*) FROM public.jobs WHERE state = 'dead'").Int(0, 0), 0);
  const auto docs = call(1, "GET", "/api/documents", nullptr, tokens[1]);
  ASSERT_EQ(docs.status, 200) << docs.body;
  const auto items = json::parse(docs.body)["items"];
  ASSERT_EQ(items.size(), 1u);  // salon 1 sees its own document and none of the others
  std::set<std::int64_t> chunk_counts;
  for (int s : {0, 1, 3}) {
    const auto d = call(1, "GET", "/api/documents", nullptr, tokens[s]);
    const auto list = json::parse(d.body)["items"];
    ASSERT_EQ(list.size(), 1u) << d.body;
    chunk_counts.insert(list[0].value("chunk_count", std::int64_t{-1}));
  }
  EXPECT_EQ(chunk_counts.size(), 1u);

  // The schedule: every slot was enqueued by exactly one of the three host processes
  // (all three ticked at start, the first two at the same moment) and ran to completion.
  std::map<std::string, int> enqueued;
  for (const std::string& log : {killed_log, hosts[0]->Log(), hosts[1]->Log()})
    for (const auto& [slot, times] : EnqueuedSlots(log)) enqueued[slot] += times;
  const int entries = static_cast<int>(ShippedSchedule()["entries"].size());
  ASSERT_GE(entries, 10);
  const auto slots = admin->Exec(
      "SELECT unique_key, state FROM public.jobs WHERE payload ? 'entry' AND payload ? 'slot'");
  EXPECT_GE(slots.Rows(), entries);  // more when the run crossed a slot's boundary
  EXPECT_EQ(enqueued.size(), static_cast<std::size_t>(slots.Rows()));
  for (int i = 0; i < slots.Rows(); ++i) {
    EXPECT_EQ(slots.Text(i, 1), "done") << slots.Text(i, 0);
    EXPECT_EQ(enqueued[slots.Text(i, 0)], 1) << slots.Text(i, 0) << " enqueued by two hosts";
  }

  for (int h : {0, 1}) hosts[h]->Signal(SIGTERM);
  for (int h : {0, 1}) EXPECT_EQ(hosts[h]->Wait(15s), 0);
  for (const auto& c : configs) std::remove(c.c_str());
  std::filesystem::remove_all(blobs);
}

}  // namespace
}  // namespace sloth
