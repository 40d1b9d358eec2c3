// The agent against a real PostgreSQL, in one run:
//   turn cost   the agent's own work per turn with the offline model (router, retrieval,
//               prompt assembly, the local model, storing the reply), over the evaluation
//               set's questions and knowledge: p50/p99 ms and turns/s at 1 and 2 threads
//   reply time  a client's message to the reply at the fake Telegram, at the default burst
//               window, in webhook mode (from the webhook's 200) and in long-polling mode
//               (from the update becoming available to getUpdates): p50/p95/p99
//
//   agent_benchmark DATABASE_URL [TURNS] [MESSAGES]

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/router.hpp"
#include "app/host_app.hpp"
#include "conversations/conversation_repository.hpp"
#include "fakes/fake_telegram.hpp"
#include "percentile.hpp"
#include "support/host_process.hpp"

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
constexpr const char* kToken = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Yaml(const std::string& url, const std::string& fake, const std::string& public_url,
                 const std::string& data_dir) {
  return "http:\n  host: 127.0.0.1\n  port: 0\n  public_url: \"" + public_url +
         "\"\ndatabase:\n  url: \"" + url +
         "\"\n  pool_size: 16\nplans_file: " SLOTH_SOURCE_DIR
         "/config/plans.yaml\nauth:\n  jwt_secret: bench-secret-0123456789-abcdefghijklmnop\n"
         "secrets:\n  master_key: \"" +
         std::string(64, 'b') +
         "\"\nrate_limits:\n  anonymous_per_hour: 1000000\n  user_per_hour: 1000000\n"
         "jobs:\n  poll_ms: 2000\nscheduler:\n  enabled: false\n"
         "plugins:\n  dirs: [\"" SLOTH_PLUGIN_DIR
         "\"]\n  config:\n    storage-local: {data_dir: \"" +
         data_dir +
         "\"}\nlog:\n  level: error\noutbound_http:\n  allow_private: true\n"
         "  rewrite:\n    \"https://api.telegram.org\": \"" +
         fake + "\"\n";
}

using sloth::bench::Pct;

json Update(long id, const std::string& text) {
  return {{"update_id", id},
          {"message",
           {{"message_id", id},
            {"from", {{"id", id}, {"is_bot", false}, {"first_name", "Client"}}},
            {"chat", {{"id", id}, {"type", "private"}}},
            {"date", 1700000000},
            {"text", text}}}};
}

struct Tenant {
  std::string token;
  std::int64_t id = 0;
};

Tenant Register(int port, const std::string& email) {
  auto r = sloth::testing::HttpCall(port, "POST", "/api/auth/register",
                                    json{{"email", email},
                                         {"password", "a long passphrase 42"},
                                         {"organization_name", "Salon Aurora"},
                                         {"plan", "professional"}}
                                        .dump());
  const auto j = json::parse(r.body);
  return {j["access_token"], j["organization"]["id"]};
}

void UploadEval(int port, const std::string& token) {
  const std::string dir = std::string(SLOTH_SOURCE_DIR) + "/tests/testdata/eval";
  std::vector<std::int64_t> ids;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".md") continue;
    const auto m = sloth::testing::Multipart(e.path().filename(), ReadFile(e.path()));
    auto up =
        sloth::testing::HttpCall(port, "POST", "/api/documents/upload", m.body, token, m.headers);
    ids.push_back(json::parse(up.body)["id"]);
  }
  for (const auto id : ids) {
    for (;;) {
      auto r = sloth::testing::HttpCall(
          port, "GET", "/api/documents/" + std::to_string(id) + "/status", "", token);
      const auto s = json::parse(r.body)["status"];
      if (s == "completed" || s == "failed") break;
      std::this_thread::sleep_for(50ms);
    }
  }
}

// Reply time for `n` clients, each sending one question, paced 4 per second.
std::vector<double> ReplyTimes(sloth::app::HostApp& app, sloth::fakes::FakeTelegram& fake,
                               const std::string& integration, bool polling, int n,
                               const std::vector<std::string>& questions) {
  std::map<long, Clock::time_point> started;
  const std::size_t before = fake.sent().size();
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(app.port()));
  s.setKeepAlive(true);
  for (int i = 0; i < n; ++i) {
    const long id = 900000 + (polling ? 100000 : 0) + i;
    const auto update = Update(id, questions[static_cast<std::size_t>(i) % questions.size()]);
    if (polling) {
      started[id] = Clock::now();
      fake.AddUpdate(update);
    } else {
      const std::string body = update.dump();
      Poco::Net::HTTPRequest req("POST", "/hooks/telegram/" + integration,
                                 Poco::Net::HTTPMessage::HTTP_1_1);
      req.setContentType("application/json");
      req.set("X-Telegram-Bot-Api-Secret-Token", fake.webhook_secret());
      req.setContentLength64(static_cast<Poco::Int64>(body.size()));
      s.sendRequest(req) << body;
      Poco::Net::HTTPResponse resp;
      std::string sink;
      Poco::StreamCopier::copyToString(s.receiveResponse(resp), sink);
      started[id] = Clock::now();  // the provider has its 200
    }
    std::this_thread::sleep_for(250ms);
  }
  fake.WaitForSent(before + static_cast<std::size_t>(n), 120s);
  std::vector<double> ms;
  for (const auto& sent : fake.sent()) {
    const long chat = std::stol(sent.params["chat_id"].get<std::string>());
    const auto it = started.find(chat);
    if (it != started.end())
      ms.push_back(std::chrono::duration<double, std::milli>(sent.at - it->second).count());
  }
  return ms;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: agent_benchmark DATABASE_URL [TURNS] [MESSAGES]\n");
    return 2;
  }
  const std::string url = argv[1];
  const int turns = argc > 2 ? std::atoi(argv[2]) : 2000;
  const int messages = argc > 3 ? std::atoi(argv[3]) : 40;
  const auto data_dir = std::filesystem::temp_directory_path() / "sloth-agent-bench";
  sloth::fakes::FakeTelegram fake(kToken);
  const auto questions =
      json::parse(ReadFile(SLOTH_SOURCE_DIR "/tests/testdata/eval/questions.json"));
  std::vector<std::string> texts;
  for (const auto& q : questions) texts.push_back(q["q"]);

  // --- turn cost ---------------------------------------------------------------------------
  auto config = sloth::config::ParseHostConfig(
      Yaml(url, fake.base_url(), "https://bench.example", data_dir.string()), "bench.yaml",
      [](const std::string&) { return std::nullopt; });
  auto app = std::make_unique<sloth::app::HostApp>(config);
  app->Start();
  const auto tenant = Register(app->port(), "agent-bench@aurora.test");
  UploadEval(app->port(), tenant.token);
  // One web conversation per thread, as the chat route opens it.
  auto& agent = app->agent();
  auto open = [&] {
    return app->pool().InTenant(sloth::db::TenantId{tenant.id}, [&](sloth::db::Transaction& tx) {
      return sloth::conversations::ConversationRepository().OpenWeb(tx, 1, "");
    });
  };
  std::map<std::string, std::vector<double>> parts;
  std::printf("turns: %d over %zu questions; messages per mode: %d\n\n", turns, texts.size(),
              messages);
  std::printf("| part of a turn (1 thread) | p50 ms | p99 ms |\n|---|---|---|\n");
  {
    const auto conversation = open();
    for (int i = 0; i < turns; ++i) {
      const std::string& q = texts[static_cast<std::size_t>(i) % texts.size()];
      auto t0 = Clock::now();
      sloth::agent::RouteMessage(q);
      auto t1 = Clock::now();
      app->knowledge().retriever().Search(tenant.id, q, 5);
      auto t2 = Clock::now();
      sloth::agent::TurnRequest req;
      req.tenant = tenant.id;
      req.conversation_id = conversation;
      req.messages = {q};
      const auto turn = agent.Answer(req);
      auto t3 = Clock::now();
      app->pool().InTenant(sloth::db::TenantId{tenant.id}, [&](sloth::db::Transaction& tx) {
        agent.Record(tx, conversation, turn, {});
      });
      auto t4 = Clock::now();
      auto ms = [](auto a, auto b) {
        return std::chrono::duration<double, std::milli>(b - a).count();
      };
      parts["router"].push_back(ms(t0, t1));
      parts["retrieval"].push_back(ms(t1, t2));
      parts["turn (read, route, retrieve, prompt, model, checks)"].push_back(ms(t2, t3));
      parts["store the reply"].push_back(ms(t3, t4));
      parts["turn + store"].push_back(ms(t2, t4));
    }
  }
  for (const auto& [name, v] : parts)
    std::printf("| %s | %.3f | %.3f |\n", name.c_str(), Pct(v, 0.5), Pct(v, 0.99));

  std::printf("\n| threads | turns/s (turn + store) | p50 ms | p99 ms |\n|---|---|---|---|\n");
  for (int threads : {1, 2}) {
    std::vector<std::vector<double>> lat(static_cast<std::size_t>(threads));
    std::vector<std::thread> pool;
    const auto start = Clock::now();
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        const auto conversation = open();
        for (int i = t; i < turns; i += threads) {
          const auto a = Clock::now();
          sloth::agent::TurnRequest req;
          req.tenant = tenant.id;
          req.conversation_id = conversation;
          req.messages = {texts[static_cast<std::size_t>(i) % texts.size()]};
          const auto turn = agent.Answer(req);
          app->pool().InTenant(sloth::db::TenantId{tenant.id}, [&](sloth::db::Transaction& tx) {
            agent.Record(tx, conversation, turn, {});
          });
          lat[static_cast<std::size_t>(t)].push_back(
              std::chrono::duration<double, std::milli>(Clock::now() - a).count());
        }
      });
    }
    for (auto& th : pool) th.join();
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    std::vector<double> all;
    for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
    std::printf("| %d | %.0f | %.3f | %.3f |\n", threads, turns / secs, Pct(all, 0.5),
                Pct(all, 0.99));
  }

  // --- reply time at the default burst window -----------------------------------------------
  std::printf(
      "\n| mode (burst window %lld ms) | replies | p50 ms | p95 ms | p99 ms |\n"
      "|---|---|---|---|---|\n",
      static_cast<long long>(config.channels.burst_window.count()));
  for (const bool polling : {false, true}) {
    app->Stop();
    app.reset();
    config = sloth::config::ParseHostConfig(
        Yaml(url, fake.base_url(), polling ? "" : "https://bench.example", data_dir.string()),
        "bench.yaml", [](const std::string&) { return std::nullopt; });
    app = std::make_unique<sloth::app::HostApp>(config);
    app->Start();
    const auto t = Register(app->port(), std::string(polling ? "poll" : "hook") + "@bench.test");
    UploadEval(app->port(), t.token);
    auto c = sloth::testing::HttpCall(app->port(), "POST", "/api/integrations/telegram/connect",
                                      json{{"bot_token", kToken}}.dump(), t.token);
    const std::string integration = json::parse(c.body)["id"];
    const auto ms = ReplyTimes(*app, fake, integration, polling, messages, texts);
    std::printf("| %s | %zu | %.0f | %.0f | %.0f |\n", polling ? "long polling" : "webhook",
                ms.size(), Pct(ms, 0.5), Pct(ms, 0.95), Pct(ms, 0.99));
    sloth::testing::HttpCall(app->port(), "DELETE", "/api/integrations/" + integration, "",
                             t.token);
  }
  app->Stop();
  std::filesystem::remove_all(data_dir);

  // --- what a burst window can merge ----------------------------------------------------------
  // A typed follow-up arrives after the client types it: a reaction of 0.6 s plus its
  // characters at 3 per second (mobile typing averages about 36 words a minute, Palin et al.,
  // "How do people type on mobile devices?", MobileHCI 2019). Over the router set's short
  // messages (up to three words: "hi", "price?", "tomorrow 10"), the share a window merges:
  const auto set =
      json::parse(ReadFile(SLOTH_SOURCE_DIR "/tests/testdata/agent/router_messages.json"));
  std::vector<double> gaps;
  for (const auto& m : set["messages"]) {
    const std::string text = m["text"];
    if (sloth::agent::Words(text).size() <= 3)
      gaps.push_back(0.6 + static_cast<double>(sloth::text::Length(text)) / 3.0);
  }
  std::printf(
      "\n| burst window s | short typed follow-ups merged (of %zu) | one message answered after |\n"
      "|---|---|---|\n",
      gaps.size());
  for (const double w : {0.5, 1.0, 1.5, 2.0, 3.0, 5.0}) {
    const auto merged = std::count_if(gaps.begin(), gaps.end(), [&](double g) { return g <= w; });
    std::printf("| %.1f | %.2f | %.1f s + the turn |\n", w,
                static_cast<double>(merged) / static_cast<double>(gaps.size()), w);
  }
  return 0;
}
