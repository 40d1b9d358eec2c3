// Plugins inside a host with a real database: the per-instance key-value store lives in
// each tenant's own schema, and a host with broken plugins in its directories still serves.

#include <signal.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "plugins/plugin_manager.hpp"
#include "support/host_process.hpp"
#include "support/test_db.hpp"

namespace sloth::plugins {
namespace {

using json = nlohmann::json;

TEST(PluginHostTest, KeyValueStoreIsPerTenantAndPerInstance) {
  testing::MigratedDatabase db;
  auto& pool = db.pool();
  const auto a = db.CreateTenant("A");
  const auto b = db.CreateTenant("B");

  ManagerOptions o;
  o.dirs = {SLOTH_TEST_PLUGIN_DIR};
  HostContext c;
  c.pool = &pool;
  PluginManager m(o, c);
  m.LoadAll();
  auto ia = m.CreateInstance("frozen-c", {"same-id", a.value, json::object()});
  auto ib = m.CreateInstance("frozen-c", {"same-id", b.value, json::object()});
  auto ip = m.CreateInstance("frozen-c", {"platform", std::nullopt, json::object()});
  for (auto* i : {&ia, &ib, &ip}) ASSERT_TRUE((*i)->Start().ok());
  ASSERT_TRUE(ia->Send(R"({"to":"a"})").ok());
  ASSERT_TRUE(ib->Send(R"({"to":"b"})").ok());
  ASSERT_TRUE(ib->Send(R"({"to":"b2"})").ok());
  ASSERT_TRUE(ip->Send(R"({"to":"p"})").ok());

  auto value = [&](db::TenantId t) {
    return pool.InTenant(t, [](db::Transaction& tx) {
      auto r = tx.Exec("SELECT instance_id, convert_from(value, 'UTF8') FROM plugin_kv");
      EXPECT_EQ(r.Rows(), 1);
      return r.Text(0, 0) + "=" + r.Text(0, 1);
    });
  };
  EXPECT_EQ(value(a), R"(frozen-c/same-id={"to":"a"})");
  EXPECT_EQ(value(b), R"(frozen-c/same-id={"to":"b2"})");
  EXPECT_EQ(pool.InTransaction([](db::Transaction& tx) {
    return tx.Exec("SELECT convert_from(value, 'UTF8') FROM public.plugin_kv").Text(0, 0);
  }),
            R"({"to":"p"})");
  for (auto* i : {&ia, &ib, &ip}) EXPECT_TRUE((*i)->Stop().ok());
}

TEST(PluginHostTest, HostWithBrokenPluginsKeepsServing) {
  testing::TestDatabase db;
  const auto config = testing::WriteTempFile(std::string("plans_file: ") + SLOTH_SOURCE_DIR +
                                             "/config/plans.yaml\n" + std::string(R"(http:
  host: 127.0.0.1
  port: ${TEST_PORT}
database:
  url: ${DATABASE_URL}
plugins:
  dirs: [")") + SLOTH_TEST_PLUGIN_DIR + "\", \"" +
                                             SLOTH_PLUGIN_DIR + R"("]
)");
  const int port = testing::FreePort();
  testing::HostProcess host({SLOTH_HOST_BINARY, "--config", config},
                            {{"TEST_PORT", std::to_string(port)}, {"DATABASE_URL", db.url()}});
  ASSERT_TRUE(host.WaitFor(port, "/ready", 200, std::chrono::seconds(30))) << host.Log();
  const auto plugins = testing::HttpGet(port, "/api/plugins");
  ASSERT_EQ(plugins.status, 200);
  std::set<std::string> ids;
  const auto listed = json::parse(plugins.body);
  for (const auto& p : listed["plugins"]) ids.insert(p["id"].get<std::string>());
  EXPECT_EQ(ids, testing::BuiltPluginIds(SLOTH_PLUGIN_DIR, {"fault", "frozen-c", "raw-throw"}))
      << plugins.body << host.Log();
  host.Signal(SIGTERM);
  EXPECT_EQ(host.Wait(std::chrono::seconds(15)), 0);
  const auto log = host.Log();
  for (const char* line :
       {"refused", "major2 was built for ABI major 2", "init threw: init exploded",
        "needs host ABI 1.", "missing symbol sloth_plugin_init_v1", "4 refused"}) {
    EXPECT_NE(log.find(line), std::string::npos) << line << "\n" << log;
  }
  const auto loaded = testing::BuiltPluginIds(SLOTH_PLUGIN_DIR, {"fault", "frozen-c", "raw-throw"});
  EXPECT_NE(log.find("plugins: " + std::to_string(loaded.size()) + " loaded, 4 refused"),
            std::string::npos);
  std::remove(config.c_str());
}

}  // namespace
}  // namespace sloth::plugins
