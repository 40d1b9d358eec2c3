// The real sloth-host binary against a real PostgreSQL: start-up, readiness, metrics,
// reconnects and shutdown as an operator sees them.

#include <signal.h>

#include <cstdlib>
#include <thread>

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "db/connection.hpp"
#include "db/migrations.hpp"
#include "support/host_process.hpp"
#include "support/test_db.hpp"
#include "support/wait.hpp"

namespace sloth::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kConfig = std::string("plans_file: ") + SLOTH_SOURCE_DIR + R"(/config/plans.yaml
http:
  host: 127.0.0.1
  port: ${TEST_PORT}
  shutdown_grace_ms: 5000
database:
  url: ${DATABASE_URL}
  pool_size: 4
  health_check_idle_ms: 0
log:
  level: info
)";

std::unique_ptr<HostProcess> StartHost(const std::string& config, int port,
                                       const std::string& url) {
  return std::make_unique<HostProcess>(
      std::vector<std::string>{SLOTH_HOST_BINARY, "--config", config},
      std::map<std::string, std::string>{{"TEST_PORT", std::to_string(port)},
                                         {"DATABASE_URL", url}});
}

TEST(HostProcessTest, BadConfigExitsNonZeroNamingTheKey) {
  const auto config = WriteTempFile("http:\n  port: 80x\ndatabase:\n  url: postgresql:///x\n");
  HostProcess host({SLOTH_HOST_BINARY, "--config", config}, {});
  EXPECT_EQ(host.Wait(seconds(10)), 2);
  EXPECT_NE(host.Log().find(config + ":2:9: key 'http.port': expected an integer, got \"80x\""),
            std::string::npos)
      << host.Log();
  std::remove(config.c_str());
}

TEST(HostProcessTest, CheckCommandValidatesWithoutADatabase) {
  HostProcess host(
      {SLOTH_HOST_BINARY, "--config", std::string(SLOTH_SOURCE_DIR) + "/config/host.yaml", "check"},
      {{"DATABASE_URL", "postgresql:///unused"}});
  EXPECT_EQ(host.Wait(seconds(10)), 0) << host.Log();
}

TEST(HostProcessTest, TwoHostsStartingTogetherBothBecomeReady) {
  TestDatabase db;
  const auto config = WriteTempFile(kConfig);
  const int p1 = FreePort(), p2 = FreePort();
  auto h1 = StartHost(config, p1, db.url());
  auto h2 = StartHost(config, p2, db.url());
  EXPECT_TRUE(h1->WaitFor(p1, "/ready", 200, seconds(30))) << h1->Log();
  EXPECT_TRUE(h2->WaitFor(p2, "/ready", 200, seconds(30))) << h2->Log();
  auto c = db::Connection::Open(db.url(), 5, milliseconds(0));
  const auto r = c->Exec(
      "SELECT scope, version, count(*) FROM public.schema_migrations "
      "GROUP BY scope, version HAVING count(*) > 1");
  EXPECT_EQ(r.Rows(), 0);
  EXPECT_EQ(c->Exec("SELECT count(*) FROM public.schema_migrations").Int(0, 0),
            static_cast<std::int64_t>(db::BuiltinMigrations().public_schema.size()));
  h1->Signal(SIGTERM);
  h2->Signal(SIGTERM);
  EXPECT_EQ(h1->Wait(seconds(15)), 0);
  EXPECT_EQ(h2->Wait(seconds(15)), 0);
  std::remove(config.c_str());
}

TEST(HostProcessTest, HealthAndMetrics) {
  TestDatabase db;
  const auto config = WriteTempFile(kConfig);
  const int port = FreePort();
  auto host = StartHost(config, port, db.url());
  ASSERT_TRUE(host->WaitFor(port, "/ready", 200, seconds(30))) << host->Log();
  const auto health = HttpGet(port, "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(nlohmann::json::parse(health.body)["status"], "ok");
  EXPECT_EQ(HttpGet(port, "/nope").status, 404);
  const auto metrics = HttpGet(port, "/metrics");
  EXPECT_EQ(metrics.status, 200);
  for (const char* needle :
       {"sloth_http_requests_total{method=\"GET\",route=\"/health\",status=\"200\"} 1",
        "sloth_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1",
        "sloth_http_request_duration_seconds_bucket{method=\"GET\",route=\"/health\",le=\"+Inf\"} "
        "1",
        "sloth_db_pool_connections{state=\"idle\"}", "sloth_db_pool_connections{state=\"in_use\"}",
        "sloth_db_pool_waits_total "}) {
    EXPECT_NE(metrics.body.find(needle), std::string::npos) << needle << "\n" << metrics.body;
  }
  // One access-log line per request, carrying its request id.
  host->Signal(SIGTERM);
  EXPECT_EQ(host->Wait(seconds(15)), 0);
  const auto log = host->Log();
  EXPECT_NE(log.find("GET /health 200"), std::string::npos) << log;
  EXPECT_NE(log.find("GET /nope 404"), std::string::npos) << log;
  std::remove(config.c_str());
}

TEST(HostProcessTest, InFlightRequestFinishesAfterSigterm) {
  TestDatabase db;
  const auto config = WriteTempFile(kConfig);
  const int port = FreePort();
  auto host = StartHost(config, port, db.url());
  ASSERT_TRUE(host->WaitFor(port, "/ready", 200, seconds(30))) << host->Log();

  // A request whose body is still arriving when SIGTERM lands.
  Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", static_cast<Poco::UInt16>(port)));
  const std::string head =
      "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\n01234";
  s.sendBytes(head.data(), static_cast<int>(head.size()));
  // In flight: its head parsed, its body awaited (the /metrics request is the other one).
  ASSERT_TRUE(WaitUntil(
      [&] {
        return HttpGet(port, "/metrics").body.find("sloth_http_requests_in_flight 2\n") !=
               std::string::npos;
      },
      seconds(5)))
      << HttpGet(port, "/metrics").body;
  host->Signal(SIGTERM);
  // SIGTERM is handled once new connections are refused; the host must still be running.
  ASSERT_TRUE(WaitUntil([&] { return HttpGet(port, "/health").status == 0; }, seconds(5)))
      << host->Log();
  EXPECT_TRUE(host->Running()) << "the host exited with a request in flight";
  s.sendBytes("56789", 5);
  std::string reply;
  char buf[1024];
  for (int n; (n = s.receiveBytes(buf, sizeof buf)) > 0;)
    reply.append(buf, static_cast<std::size_t>(n));
  EXPECT_EQ(reply.rfind("HTTP/1.1 405", 0), 0u) << reply;
  EXPECT_EQ(host->Wait(seconds(15)), 0) << host->Log();
  std::remove(config.c_str());
}

TEST(HostProcessTest, ReadinessFollowsTheDatabaseAcrossARestart) {
  const char* script = std::getenv("SLOTH_PG_SCRIPT");
  ASSERT_NE(script, nullptr) << "run through scripts/test.sh (SLOTH_PG_SCRIPT)";
  char dir_template[] = "/tmp/sloth-pgr.XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  const std::string start = std::string(script) + " start " + dir + " >/dev/null";
  const std::string stop = std::string(script) + " stop " + dir;
  ASSERT_EQ(Shell("SLOTH_PG_FSYNC=off " + start), 0);
  const std::string url = "postgresql:///postgres?host=" + dir + "&port=5432&user=postgres";

  const auto config = WriteTempFile(kConfig);
  const int port = FreePort();
  auto host = StartHost(config, port, url);
  EXPECT_TRUE(host->WaitFor(port, "/ready", 200, seconds(30))) << host->Log();

  ASSERT_EQ(Shell(stop), 0);
  EXPECT_TRUE(host->WaitFor(port, "/ready", 503, seconds(20))) << host->Log();
  const auto down = HttpGet(port, "/ready");
  EXPECT_EQ(nlohmann::json::parse(down.body)["error"]["code"], "not_ready") << down.body;
  EXPECT_EQ(nlohmann::json::parse(down.body)["failed_check"], "database") << down.body;
  // Which check, not libpq's words: no socket path, host or user reaches a stranger.
  EXPECT_EQ(down.body.find(dir), std::string::npos) << down.body;
  EXPECT_EQ(down.body.find("connection to server"), std::string::npos) << down.body;
  EXPECT_EQ(down.body.find("postgres"), std::string::npos) << down.body;
  EXPECT_EQ(HttpGet(port, "/health").status, 200);

  ASSERT_EQ(Shell("SLOTH_PG_FSYNC=off " + start), 0);
  EXPECT_TRUE(host->WaitFor(port, "/ready", 200, seconds(30))) << host->Log();
  EXPECT_TRUE(host->Running());

  host->Signal(SIGTERM);
  EXPECT_EQ(host->Wait(seconds(15)), 0);
  Shell(stop);
  Shell("rm -rf " + dir);
  std::remove(config.c_str());
}

}  // namespace
}  // namespace sloth::testing
