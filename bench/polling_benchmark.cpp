// What polling costs one host as polling integrations multiply: N organisations each
// connect a Telegram bot in polling mode (no public URL) against the fake Telegram, then,
// over a quiet window, the host's threads and database connections and the polls per
// second, and so how often each integration is polled.
//
//   polling_benchmark DATABASE_URL [INTEGRATIONS] [POLL_THREADS]

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "app/host_app.hpp"
#include "fakes/fake_telegram.hpp"

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
constexpr const char* kToken = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";

std::string Yaml(const std::string& url, const std::string& fake, int threads) {
  return "http:\n  host: 127.0.0.1\n  port: 0\n"
         "database:\n  url: \"" +
         url +
         "\"\n  pool_size: 16\nplans_file: " SLOTH_SOURCE_DIR
         "/config/plans.yaml\nauth:\n  jwt_secret: bench-secret-0123456789-abcdefghijklmnop\n"
         "secrets:\n  master_key: \"" +
         std::string(64, 'b') +
         "\"\nrate_limits:\n  anonymous_per_hour: 1000000\n"
         "jobs:\n  poll_ms: 200\n"
         "channels:\n  burst_window_ms: 0\n  poll_timeout_ms: 10000\n  poll_rescan_ms: 500\n"
         "  poll_threads: " +
         std::to_string(threads) +
         "\nscheduler:\n  enabled: false\nplugins:\n  dirs: [\"" SLOTH_PLUGIN_DIR
         "\"]\noutbound_http:\n  allow_private: true\n"
         "  rewrite:\n    \"https://api.telegram.org\": \"" +
         fake + "\"\nlog:\n  level: error\n";
}

long ThreadCount() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("Threads:", 0) == 0) return std::stol(line.substr(8));
  return -1;
}

json Call(int port, const std::string& method, const std::string& path, const json& body,
          const std::string& bearer) {
  Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(port));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  const std::string b = body.dump();
  req.setContentType("application/json");
  req.setContentLength64(static_cast<Poco::Int64>(b.size()));
  if (!bearer.empty()) req.set("Authorization", "Bearer " + bearer);
  s.sendRequest(req) << b;
  Poco::Net::HTTPResponse resp;
  std::string out;
  Poco::StreamCopier::copyToString(s.receiveResponse(resp), out);
  return json::parse(out, nullptr, false);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DATABASE_URL [INTEGRATIONS] [POLL_THREADS]\n", argv[0]);
    return 2;
  }
  const std::string url = argv[1];
  const int n = argc > 2 ? std::atoi(argv[2]) : 200;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 16;
  spdlog::set_level(spdlog::level::err);
  sloth::fakes::FakeTelegram fake(kToken);
  const long threads_before = ThreadCount();
  auto env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  sloth::app::HostApp host(
      sloth::config::ParseHostConfig(Yaml(url, fake.base_url(), threads), "bench.yaml", env));
  host.Start();
  const int port = host.port();
  for (int i = 0; i < n; ++i) {
    const auto reg = Call(port, "POST", "/api/auth/register",
                          {{"email", "owner" + std::to_string(i) + "@poll.test"},
                           {"password", "a long passphrase 42"},
                           {"organization_name", "Salon " + std::to_string(i)}},
                          "");
    const auto conn = Call(port, "POST", "/api/integrations/telegram/connect",
                           {{"bot_token", kToken}}, reg.value("access_token", ""));
    if (conn.value("mode", "") != "polling" && !conn.contains("id")) {
      std::fprintf(stderr, "connect %d failed: %s\n", i, conn.dump().c_str());
      return 1;
    }
  }
  host.channels().Rescan();
  // Quiet window: every integration claimed and polled.
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  while (host.channels().polling() < static_cast<std::size_t>(n) && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const int polls0 = fake.polls();
  const auto t0 = Clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(5));
  const double window = std::chrono::duration<double>(Clock::now() - t0).count();
  const double polls_per_s = (fake.polls() - polls0) / window;
  const long host_threads = ThreadCount() - threads_before;
  const long connections = host.pool().InTransaction([](sloth::db::Transaction& tx) {
    return tx.Exec("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        .Int(0, 0);
  });

  // Every integration is polled once per this interval: the wait a client's message adds
  // before the pipeline sees it (the fake shares one bot among all integrations, so a reply
  // time measured here would count each message answered by all of them).
  std::printf(
      "| polling integrations | poll threads | host threads (all) | DB connections (all) | "
      "polls/s | each integration polled every ms |\n|---|---|---|---|---|---|\n");
  std::printf("| %d | %d | %ld | %ld | %.0f | %.0f |\n", n, threads, host_threads, connections,
              polls_per_s, polls_per_s > 0 ? n * 1000.0 / polls_per_s : 0.0);
  host.Stop();
}
