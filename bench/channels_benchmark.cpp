// The inbound pipeline against a real PostgreSQL and the fake Telegram, in one run:
//   accept      webhooks answered 200 per second (verified, stored, job enqueued), workers off
//   end to end  webhook -> worker -> offline answer -> sendMessage at the fake, workers on
// Each update comes from its own chat (no burst merging); the benchmark counts lost and
// duplicated replies itself.
//
//   channels_benchmark DATABASE_URL [UPDATES] [CLIENTS]

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/host_app.hpp"
#include "fakes/fake_telegram.hpp"
#include "percentile.hpp"

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
constexpr const char* kToken = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";

std::string Yaml(const std::string& url, const std::string& fake, bool workers) {
  return "http:\n  host: 127.0.0.1\n  port: 0\n  public_url: https://bench.example\n"
         "database:\n  url: \"" +
         url +
         "\"\n  pool_size: 16\nplans_file: " SLOTH_SOURCE_DIR
         "/config/plans.yaml\nauth:\n  jwt_secret: bench-secret-0123456789-abcdefghijklmnop\n"
         "secrets:\n  master_key: \"" +
         std::string(64, 'b') +
         "\"\n"
         "rate_limits:\n  anonymous_per_hour: 1000000\n"
         "jobs:\n  workers: " +
         (workers ? "true" : "false") +
         "\n  poll_ms: 200\n  queues:\n    default: {concurrency: 1}\n    channels: {concurrency: "
         "4}\n"
         "channels:\n  burst_window_ms: 0\n  polling: false\nscheduler:\n  enabled: false\n"
         "plugins:\n  dirs: [\"" SLOTH_PLUGIN_DIR
         "\"]\n  config:\n    storage-local: {data_dir: "
         "\"/tmp/sloth-bench-blobs\"}\noutbound_http:\n  allow_private: true\n"
         "  rewrite:\n    \"https://api.telegram.org\": \"" +
         fake + "\"\nlog:\n  level: error\n";
}

json Update(long id) {
  return {{"update_id", id},
          {"message",
           {{"message_id", id},
            {"from", {{"id", id}, {"is_bot", false}, {"first_name", "Client"}}},
            {"chat", {{"id", id}, {"type", "private"}}},
            {"date", 1700000000},
            {"text", "Hello, how much is a manicure?"}}}};
}

struct Posted {
  std::vector<double> latency_ms;
  std::map<long, Clock::time_point> at;  // update id -> when its 200 came back
  int failed = 0;
};

// `clients` threads post updates [first, first + n) over keep-alive connections.
// `rate` > 0 paces the clients to that many posts per second in total.
Posted PostAll(int port, const std::string& path, const std::string& secret, long first, int n,
               int clients, double rate = 0) {
  std::vector<Posted> per(clients);
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
      s.setKeepAlive(true);
      const auto start = Clock::now();
      for (long id = first + c; id < first + n; id += clients) {
        if (rate > 0) {
          std::this_thread::sleep_until(
              start + std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(static_cast<double>(id - first) / rate)));
        }
        const std::string body = Update(id).dump();
        Poco::Net::HTTPRequest req("POST", path, Poco::Net::HTTPMessage::HTTP_1_1);
        req.setContentType("application/json");
        req.set("X-Telegram-Bot-Api-Secret-Token", secret);
        req.setContentLength64(static_cast<Poco::Int64>(body.size()));
        req.setKeepAlive(true);
        const auto t0 = Clock::now();
        try {
          s.sendRequest(req) << body;
          Poco::Net::HTTPResponse resp;
          std::string sink;
          Poco::StreamCopier::copyToString(s.receiveResponse(resp), sink);
          const auto t1 = Clock::now();
          if (resp.getStatus() != 200) {
            ++per[c].failed;
            continue;
          }
          per[c].latency_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
          per[c].at[id] = t1;
        } catch (const std::exception&) {
          ++per[c].failed;
          s.reset();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  Posted all;
  for (auto& p : per) {
    all.latency_ms.insert(all.latency_ms.end(), p.latency_ms.begin(), p.latency_ms.end());
    all.at.insert(p.at.begin(), p.at.end());
    all.failed += p.failed;
  }
  return all;
}

using sloth::bench::Pct;

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: channels_benchmark DATABASE_URL [UPDATES] [CLIENTS] [RATE]\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::err);
  const std::string url = argv[1];
  const int n = argc > 2 ? std::stoi(argv[2]) : 2000;
  const int clients = argc > 3 ? std::stoi(argv[3]) : 8;
  // Phase 3 offers this many messages per second (below capacity): latency without a queue.
  const double rate = argc > 4 ? std::stod(argv[4]) : 100;
  sloth::fakes::FakeTelegram fake(kToken);
  // SLOTH_* overrides apply as for the host (SLOTH_JOBS_VACUUM_EVERY=0 and the like, to
  // compare settings in one sitting).
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  };

  // Phase 1: acceptance only (no workers), so the figure is the webhook path alone.
  auto host = std::make_unique<sloth::app::HostApp>(
      sloth::config::ParseHostConfig(Yaml(url, fake.base_url(), false), "bench.yaml", env));
  host->Start();
  const int port = host->port();
  // An enterprise trial: no message or conversation limit gets in the way.
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
  auto call = [&](const std::string& method, const std::string& path, const json& body,
                  const std::string& bearer) {
    Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
    const std::string b = body.dump();
    req.setContentType("application/json");
    req.setContentLength64(static_cast<Poco::Int64>(b.size()));
    if (!bearer.empty()) req.set("Authorization", "Bearer " + bearer);
    s.sendRequest(req) << b;
    Poco::Net::HTTPResponse resp;
    std::string out;
    Poco::StreamCopier::copyToString(s.receiveResponse(resp), out);
    return json::parse(out);
  };
  const auto reg = call("POST", "/api/auth/register",
                        {{"email", "bench@salon.test"},
                         {"password", "a long passphrase 42"},
                         {"organization_name", "Bench Salon"},
                         {"plan", "enterprise"}},
                        "");
  const std::string token = reg["access_token"];
  const auto conn =
      call("POST", "/api/integrations/telegram/connect", {{"bot_token", kToken}}, token);
  const std::string path = "/hooks/telegram/" + conn["id"].get<std::string>();
  const std::string secret = fake.webhook_secret();
  spdlog::set_level(spdlog::level::err);  // the access log exists now: quiet it too

  // Round trips to PostgreSQL per message, by phase (the host's start included in the backlog's).
  auto trips = [] { return static_cast<double>(sloth::db::Connection::RoundTrips()); };
  double trips0 = trips();
  auto t0 = Clock::now();
  const Posted accepted = PostAll(port, path, secret, 1, n, clients);
  const double accept_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const double accept_trips = trips() - trips0;
  const auto [groups, grouped] = host->channels().inbound_groups();
  host->Stop();
  host.reset();

  // The stored backlog is answered when workers start; drain it before phase 2.
  trips0 = trips();
  host = std::make_unique<sloth::app::HostApp>(
      sloth::config::ParseHostConfig(Yaml(url, fake.base_url(), true), "bench.yaml", env));
  host->Start();
  spdlog::set_level(spdlog::level::err);
  const auto drain0 = Clock::now();
  fake.WaitForSent(static_cast<std::size_t>(n), std::chrono::minutes(10));
  const double drain_s = std::chrono::duration<double>(Clock::now() - drain0).count();
  const std::size_t backlog_sent = fake.sent().size();
  const double backlog_trips = trips() - trips0;

  // Phase 2: end to end with workers running.
  trips0 = trips();
  t0 = Clock::now();
  const Posted e2e = PostAll(host->port(), path, secret, n + 1, n, clients);
  fake.WaitForSent(static_cast<std::size_t>(2 * n), std::chrono::minutes(10));
  const double e2e_s = std::chrono::duration<double>(Clock::now() - t0).count();
  const double e2e_trips = trips() - trips0;
  const int paced_n = std::max(100, n / 4);
  const Posted paced = PostAll(host->port(), path, secret, 2 * n + 1, paced_n, clients, rate);
  fake.WaitForSent(static_cast<std::size_t>(2 * n + paced_n), std::chrono::minutes(10));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // late duplicates would show now
  host->Stop();

  std::map<std::string, int> replies;
  std::map<std::string, Clock::time_point> replied_at;
  for (const auto& m : fake.sent()) {
    const std::string chat = m.params["chat_id"].get<std::string>();
    if (++replies[chat] == 1) replied_at[chat] = m.at;
  }
  auto count = [&](long from, long to, int& lost, int& dup) {
    lost = dup = 0;
    for (long id = from; id < to; ++id) {
      const int k = replies.count(std::to_string(id)) ? replies[std::to_string(id)] : 0;
      lost += k == 0;
      dup += k > 1 ? k - 1 : 0;
    }
  };
  int lost1, dup1, lost2, dup2, lost3, dup3;
  count(1, n + 1, lost1, dup1);
  count(n + 1, 2 * n + 1, lost2, dup2);
  count(2 * n + 1, 2 * n + 1 + paced_n, lost3, dup3);
  auto latencies = [&](const Posted& p) {
    std::vector<double> out;
    for (const auto& [id, at] : p.at) {
      const auto it = replied_at.find(std::to_string(id));
      if (it != replied_at.end())
        out.push_back(std::chrono::duration<double, std::milli>(it->second - at).count());
    }
    return out;
  };
  const auto e2e_latency = latencies(e2e);
  const auto paced_latency = latencies(paced);

  std::printf(
      "updates per phase: %d, clients: %d; phase 1 wrote %zu deliveries in %zu commits "
      "(%.1f per commit)\n\n",
      n, clients, grouped, groups,
      groups ? static_cast<double>(grouped) / static_cast<double>(groups) : 0.0);
  std::printf(
      "| phase | msgs/s | p50 ms | p99 ms | non-200 | lost | duplicated | database round trips "
      "per msg |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  std::printf(
      "| webhooks accepted (stored + enqueued, 200), workers off | %.0f | %.2f | %.2f | %d | %d | "
      "%d | %.1f |\n",
      static_cast<double>(accepted.at.size()) / accept_s, Pct(accepted.latency_ms, 0.5),
      Pct(accepted.latency_ms, 0.99), accepted.failed, lost1, dup1, accept_trips / n);
  std::printf(
      "| backlog of phase 1 answered after workers start | %.0f | - | - | - | %zu sent | | %.1f "
      "|\n",
      static_cast<double>(backlog_sent) / drain_s, backlog_sent, backlog_trips / n);
  std::printf(
      "| end to end (webhook -> reply at fake Telegram), 200 -> send | %.0f | %.1f | %.1f | %d | "
      "%d | %d | %.1f |\n",
      static_cast<double>(n) / e2e_s, Pct(e2e_latency, 0.5), Pct(e2e_latency, 0.99), e2e.failed,
      lost2, dup2, e2e_trips / n);
  std::printf(
      "| end to end at %.0f msgs/s offered (below capacity) | %.0f | %.1f | %.1f | %d | %d | %d "
      "| - |\n",
      rate, rate, Pct(paced_latency, 0.5), Pct(paced_latency, 0.99), paced.failed, lost3, dup3);
  return lost1 + dup1 + lost2 + dup2 + lost3 + dup3 == 0 ? 0 : 1;
}
