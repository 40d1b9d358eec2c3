// The plugin manager against real plugin libraries built in this tree: loading and
// refusing, the frozen 1.0 plugin, and every fault the fault plugins inject.

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/router.hpp"
#include "http/server.hpp"
#include "plugins/executor.hpp"
#include "plugins/plugin_manager.hpp"
#include "plugins/plugin_routes.hpp"
#include "support/host_process.hpp"
#include "support/wait.hpp"

namespace sloth::plugins {
namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

const std::string kTestPlugins = SLOTH_TEST_PLUGIN_DIR;
const std::string kPlugins = SLOTH_PLUGIN_DIR;

class PluginManagerTest : public ::testing::Test {
 protected:
  std::unique_ptr<PluginManager> Manager(
      std::chrono::milliseconds call_timeout = std::chrono::milliseconds(5000)) {
    ManagerOptions o;
    o.dirs = {kTestPlugins, kPlugins};
    o.call_timeout = call_timeout;
    o.max_threads = 8;
    HostContext c;
    c.metrics = &metrics_;
    c.emit = [this](PluginInstance&, const std::string& events) {
      std::lock_guard<std::mutex> lock(mu_);
      emitted_.push_back(events);
      return static_cast<std::int32_t>(SLOTH_OK);
    };
    return std::make_unique<PluginManager>(o, c);
  }

  // A plugin directory with one plugin whose manifest is `manifest` and whose library is a
  // copy of `library`.
  std::string FakeDir(const std::string& library, json manifest) {
    const fs::path dir = fs::temp_directory_path() / ("sloth-plugin-" + std::to_string(::getpid()) +
                                                      "-" + std::to_string(dirs_.size()));
    fs::create_directories(dir / "p");
    fs::copy_file(library, dir / "p" / fs::path(library).filename(),
                  fs::copy_options::overwrite_existing);
    manifest["library"] = fs::path(library).filename().string();
    std::ofstream(dir / "p" / "plugin.json") << manifest.dump();
    dirs_.push_back(dir);
    return (dir / "p" / "plugin.json").string();
  }

  void TearDown() override {
    for (const auto& d : dirs_) fs::remove_all(d);
  }

  metrics::Registry metrics_;
  std::mutex mu_;
  std::vector<std::string> emitted_;
  std::vector<fs::path> dirs_;
};

TEST_F(PluginManagerTest, LoadsGoodPluginsAndRefusesBadOnesWithReasons) {
  auto m = Manager();
  const auto report = m->LoadAll();
  std::set<std::string> loaded(report.loaded.begin(), report.loaded.end());
  EXPECT_EQ(loaded, testing::BuiltPluginIds(SLOTH_PLUGIN_DIR, {"fault", "frozen-c", "raw-throw"}));
  std::map<std::string, std::string> refused;
  for (const auto& [path, reason] : report.refused) {
    refused[fs::path(path).parent_path().filename().string()] = reason;
  }
  EXPECT_EQ(refused["major2"], "plugin major2 was built for ABI major 2; this host speaks ABI 1." +
                                   std::to_string(SLOTH_ABI_MINOR));
  EXPECT_EQ(refused["future-minor"],
            "plugin future-minor needs host ABI 1." + std::to_string(SLOTH_ABI_MINOR + 1) +
                " or newer; this host is 1." + std::to_string(SLOTH_ABI_MINOR));
  EXPECT_EQ(refused["init-throws"], "init threw: init exploded");
  EXPECT_EQ(refused["no-init"],
            "missing symbol sloth_plugin_init_v1 (a plugin for another ABI major?)");
  EXPECT_EQ(refused.size(), 4u);
}

TEST_F(PluginManagerTest, RefusesWhatTheDescriptorContradicts) {
  auto m = Manager();
  const std::string future = kTestPlugins + "/future-minor/sloth_future-minor.so";
  // plugin.json claims any 1.x host; the descriptor (checked after dlopen) knows better.
  const auto manifest = FakeDir(future, {{"id", "future-minor"},
                                         {"version", "1.0.0"},
                                         {"kinds", {"channel"}},
                                         {"abi", {{"major", 1}}}});
  EXPECT_EQ(m->Load(manifest), "descriptor needs host ABI minor " +
                                   std::to_string(SLOTH_ABI_MINOR + 1) + ", this host is " +
                                   std::to_string(SLOTH_ABI_MINOR));
  const std::string major2 = kTestPlugins + "/major2/sloth_major2.so";
  EXPECT_EQ(m->Load(FakeDir(major2, {{"id", "major2"},
                                     {"version", "2.0.0"},
                                     {"kinds", {"channel"}},
                                     {"abi", {{"major", 1}}}})),
            "missing symbol sloth_plugin_init_v1 (a plugin for another ABI major?)");
  const std::string echo = kPlugins + "/echo/sloth_echo.so";
  EXPECT_EQ(
      m->Load(FakeDir(
          echo,
          {{"id", "echo"}, {"version", "9.9.9"}, {"kinds", {"channel"}}, {"abi", {{"major", 1}}}})),
      "descriptor (id, version, kinds) does not match plugin.json");
  EXPECT_EQ(m->Load(FakeDir(echo, {{"id", "Bad Id"}})).rfind("invalid manifest: ", 0), 0u);
  EXPECT_TRUE(m->List().empty());
}

TEST_F(PluginManagerTest, DuplicateIdIsRefused) {
  auto m = Manager();
  m->LoadAll();
  EXPECT_EQ(m->Load(kPlugins + "/echo/plugin.json"), "duplicate plugin id 'echo'");
}

TEST_F(PluginManagerTest, FrozenV10PluginWorksInThisHost) {
  auto m = Manager();
  m->LoadAll();
  auto inst = m->CreateInstance("frozen-c", {"i1", std::nullopt, json::object()});
  ASSERT_TRUE(inst->Start().ok());
  auto r = inst->ChannelWebhook({"POST", "/", "", "hello", {{"a", "b"}}});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(json::parse(r.output)["events"][0]["bytes"], 5);
  std::vector<float> v;
  std::uint32_t dim = 0;
  r = inst->Embed({"ab", "xyz"}, v, dim);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(dim, 4u);
  EXPECT_EQ(v, (std::vector<float>{2, 'a', 1, 0, 3, 'x', 1, 1}));
  EXPECT_EQ(json::parse(inst->Health().output)["status"], "ok");
  // No pool in this test: the key-value store is unavailable and the plugin reports it.
  r = inst->Send(R"({"chat_id":"1","text":"x"})");
  EXPECT_EQ(r.status, SLOTH_INVALID_ARGUMENT);
  EXPECT_EQ(r.error, "kv_put failed");
  EXPECT_TRUE(inst->Stop().ok());
}

TEST_F(PluginManagerTest, ConfigIsValidatedAgainstTheSchema) {
  auto m = Manager();
  m->LoadAll();
  try {
    m->CreateInstance("echo", {"i1", 1, {{"secret", "short"}}});
    FAIL();
  } catch (const ConfigInvalid& e) {
    EXPECT_EQ(e.field(), "secret");
    EXPECT_STREQ(e.what(), "secret: String should be no fewer than 8 characters in length.");
  }
  EXPECT_THROW(m->CreateInstance("echo", {"i1", 1, {{"secret", "long-enough"}, {"x", 1}}}),
               ConfigInvalid);
  EXPECT_THROW(m->CreateInstance("nope", {"i1", 1, json::object()}), PluginError);
  auto inst = m->CreateInstance("echo", {"i1", 1, {{"secret", "long-enough"}}});
  EXPECT_EQ(inst->spec().config["prefix"], "echo: ");  // default filled in
}

TEST_F(PluginManagerTest, ThrowingEverywhereThroughTheWrapper) {
  auto m = Manager();
  m->LoadAll();
  auto starting = m->CreateInstance("fault", {"i0", std::nullopt, {{"mode", "throw_start"}}});
  auto r = starting->Start();
  EXPECT_EQ(r.status, SLOTH_INTERNAL);
  EXPECT_EQ(r.error, "fault: thrown in start");
  EXPECT_EQ(starting->Send("{}").status, SLOTH_UNAVAILABLE);  // never started: no call

  auto inst = m->CreateInstance("fault", {"i1", std::nullopt, {{"mode", "throw"}}});
  ASSERT_TRUE(inst->Start().ok());
  const std::vector<std::pair<std::string, CallOutcome>> calls = {
      {"webhook", inst->ChannelWebhook({"POST", "/", "", "{}", {}})},
      {"send", inst->Send("{}")},
      {"poll", inst->Poll(10)},
      {"connect", inst->Connect("{}")},
      {"disconnect", inst->Disconnect()},
      {"health", inst->Health()},
      {"stop", inst->Stop()},
  };
  for (const auto& [op, out] : calls) {
    EXPECT_EQ(out.status, SLOTH_INTERNAL) << op;
    EXPECT_EQ(out.error, "fault: thrown in " + op);
  }
}

TEST_F(PluginManagerTest, RawExceptionsEscapingTheAbiAreContained) {
  auto m = Manager();
  m->LoadAll();
  try {
    m->CreateInstance("raw-throw", {"i1", std::nullopt, {{"x", 1}}});
    FAIL();
  } catch (const PluginError& e) {
    EXPECT_EQ(e.status(), SLOTH_INTERNAL);
    EXPECT_STREQ(e.what(),
                 "plugin raw-throw: create failed (internal): an exception crossed the plugin "
                 "ABI: raw throw in create");
  }
  auto inst = m->CreateInstance("raw-throw", {"i2", std::nullopt, json::object()});
  ASSERT_TRUE(inst->Start().ok());
  EXPECT_EQ(inst->ChannelWebhook({"POST", "/", "", "{}", {}}).error,
            "an exception crossed the plugin ABI: raw throw in webhook");
  EXPECT_EQ(inst->Send("{}").error, "an exception crossed the plugin ABI: raw throw in send");
  EXPECT_EQ(inst->Poll(1).error, "an exception crossed the plugin ABI");   // threw a char*
  EXPECT_EQ(inst->Health().error, "an exception crossed the plugin ABI");  // threw an int
  auto unknown = inst->Connect("{}");
  EXPECT_EQ(unknown.status, SLOTH_INTERNAL);
  EXPECT_EQ(unknown.error, "plugin returned unknown status 4242");
  auto stopped = inst->Stop();
  EXPECT_EQ(stopped.status, SLOTH_INTERNAL);
  EXPECT_EQ(stopped.error, "an exception crossed the plugin ABI: raw throw in stop");
  EXPECT_EQ(inst->state(), PluginInstance::State::kStopped);
}

TEST_F(PluginManagerTest, MalformedJsonBecomesACleanError) {
  auto m = Manager();
  m->LoadAll();
  auto inst = m->CreateInstance("fault", {"i1", std::nullopt, {{"mode", "malformed_json"}}});
  ASSERT_TRUE(inst->Start().ok());
  auto r = inst->Send("{}");
  EXPECT_EQ(r.status, SLOTH_INTERNAL);
  EXPECT_EQ(r.error, "plugin fault returned malformed JSON from send");
  EXPECT_TRUE(r.output.empty());
  EXPECT_TRUE(inst->Stop().ok());
}

TEST_F(PluginManagerTest, FailedCreateCallsNothingElse) {
  auto m = Manager();
  m->LoadAll();
  try {
    m->CreateInstance("fault", {"i1", std::nullopt, {{"mode", "fail_create"}}});
    FAIL();
  } catch (const PluginError& e) {
    EXPECT_EQ(e.status(), SLOTH_INVALID_ARGUMENT);
    EXPECT_STREQ(e.what(),
                 "plugin fault: create failed (invalid_argument): fault: create refused by config");
  }
}

TEST(PluginTimeouts, EachOperationTakesItsKindsTimeout) {
  HostContext c;
  c.call_timeout = std::chrono::milliseconds(30000);
  c.kind_timeouts = {{"llm", std::chrono::milliseconds(120000)},
                     {"channel", std::chrono::milliseconds(7000)}};
  EXPECT_EQ(c.TimeoutFor("chat").count(), 120000);
  EXPECT_EQ(c.TimeoutFor("send").count(), 7000);
  EXPECT_EQ(c.TimeoutFor("poll").count(), 7000);
  EXPECT_EQ(c.TimeoutFor("put_part").count(), 30000);  // storage not listed: the default
  EXPECT_EQ(c.TimeoutFor("start").count(), 30000);     // lifecycle calls belong to no kind
}

TEST_F(PluginManagerTest, BlockingCallTimesOutAndTheHostMovesOn) {
  auto m = Manager(std::chrono::milliseconds(300));
  m->LoadAll();
  auto blocked = m->CreateInstance("fault", {"i1", std::nullopt, {{"mode", "block"}}});
  ASSERT_TRUE(blocked->Start().ok());
  const auto start = std::chrono::steady_clock::now();
  auto r = blocked->Send("{}");
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.status, SLOTH_TIMEOUT);
  EXPECT_EQ(r.error, "plugin fault did not answer send within 300 ms");
  EXPECT_LT(took, std::chrono::seconds(3));
  // Another instance of the same plugin is not held up by the stuck one.
  auto other = m->CreateInstance("fault", {"i2", std::nullopt, {{"mode", "ok"}}});
  ASSERT_TRUE(other->Start().ok());
  EXPECT_TRUE(other->Send("{}").ok());
  EXPECT_TRUE(other->Stop().ok());
}

TEST_F(PluginManagerTest, NoCallCrossesAfterStop) {
  auto m = Manager();
  m->LoadAll();
  auto inst = m->CreateInstance("fault", {"i1", std::nullopt, {{"mode", "after_stop"}}});
  ASSERT_TRUE(inst->Start().ok());
  const auto labels = metrics::Labels{{"plugin", "fault"}, {"tenant", ""}};
  testing::WaitUntil([&] { return metrics_.CounterValue("sloth_plugin_ticks_total", labels) > 0; },
                     std::chrono::seconds(5));
  ASSERT_TRUE(inst->Stop().ok());
  const double ticks = metrics_.CounterValue("sloth_plugin_ticks_total", labels);
  std::size_t emitted = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    emitted = emitted_.size();
  }
  EXPECT_GT(ticks, 0);
  // The plugin thread keeps trying: wait until it has tried 20 more times, all refused.
  const metrics::Labels tried{{"plugin", "fault"}, {"service", "counter_add"}};
  testing::WaitUntil(
      [&] { return metrics_.CounterValue("sloth_plugin_host_calls_refused_total", tried) >= 20; },
      std::chrono::seconds(5));
  EXPECT_GE(metrics_.CounterValue("sloth_plugin_host_calls_refused_total", tried), 20);
  EXPECT_EQ(metrics_.CounterValue("sloth_plugin_ticks_total", labels), ticks);
  {
    std::lock_guard<std::mutex> lock(mu_);
    EXPECT_EQ(emitted_.size(), emitted);
  }
  // And the host makes no call into it.
  EXPECT_EQ(inst->Send("{}").status, SLOTH_UNAVAILABLE);
  EXPECT_EQ(inst->Health().status, SLOTH_UNAVAILABLE);
  EXPECT_EQ(inst->Start().status, SLOTH_INVALID_ARGUMENT);
}

TEST_F(PluginManagerTest, PostedWorkRunsOrIsCancelledExactlyOnce) {
  auto m = Manager();
  m->LoadAll();
  auto inst = m->CreateInstance("fault", {"i1", std::nullopt, {{"mode", "posts"}}});
  ASSERT_TRUE(inst->Start().ok());
  json h;
  for (int i = 0; i < 100; ++i) {
    h = json::parse(inst->Health().output);
    if (h["ran"] == 1) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(h["ran"], 1);
  EXPECT_EQ(h["cancelled"], 0);
  ASSERT_TRUE(inst->Stop().ok());
  // The hour-long task was cancelled before stop; destroy finds nothing left to cancel.
  // (Read through the plugin's destructor-free state: health is refused after stop, so the
  // proof is that destroying the instance under ASan neither leaks nor double-frees.)
  inst.reset();
}

TEST_F(PluginManagerTest, LoadAndCreateDestroyManyTimesLeaksNothing) {
  for (int i = 0; i < 1000; ++i) {
    ManagerOptions o;
    o.dirs = {kPlugins};
    o.max_threads = 2;
    HostContext c;
    PluginManager m(o, c);
    ASSERT_EQ(m.Load(kPlugins + "/echo/plugin.json"), "");
    auto inst = m.CreateInstance("echo", {"i", 1, {{"secret", "long-enough"}}});
    ASSERT_TRUE(inst->Start().ok());
    ASSERT_TRUE(inst->Stop().ok());
  }
}

TEST_F(PluginManagerTest, ApiPluginsListsLoadedPluginsWithSchemas) {
  auto m = Manager();
  m->LoadAll();
  http::Router router;
  AddRoutes(router, *m);
  http::Server server(http::ServerOptions{}, router, metrics_);
  http::Request req;
  req.method = "GET";
  req.path = "/api/plugins";
  const auto resp = server.Dispatch(req);
  ASSERT_EQ(resp.status, 200);
  const auto body = json::parse(resp.body);
  json echo;
  for (const auto& p : body["plugins"]) {
    if (p["id"] == "echo") echo = p;
  }
  EXPECT_EQ(echo["version"], "1.0.0");
  EXPECT_EQ(echo["kinds"], json({"channel"}));
  EXPECT_TRUE(echo["feature"].is_null());
  EXPECT_EQ(echo["config_schema"]["required"], json({"secret"}));
  EXPECT_EQ(body["plugins"].size(),
            testing::BuiltPluginIds(SLOTH_PLUGIN_DIR, {"fault", "frozen-c", "raw-throw"}).size());
}

// Two tasks submitted back to back while one thread sits idle: the idle thread takes the
// first (here it blocks, as a call to a held provider does) and the second gets a thread of
// its own instead of waiting in the queue behind it.
TEST(ExecutorTest, ATaskNeverWaitsBehindABlockedOneWhileThreadsRemain) {
  Executor ex(8);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::atomic<int> idle_again{0}, blocked_done{0}, second{0};
  for (int round = 0; round < 20; ++round) {
    // One thread, idle: it ran a task and waits for the next.
    ASSERT_TRUE(ex.Submit([&] { ++idle_again; }));
    ASSERT_TRUE(
        testing::WaitUntil([&] { return idle_again == round + 1; }, std::chrono::seconds(5)));
    ex.Submit([&] {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return release; });
      ++blocked_done;
    });
    ex.Submit([&] { ++second; });
    const bool ran =
        testing::WaitUntil([&] { return second == round + 1; }, std::chrono::seconds(3));
    {
      std::lock_guard lock(mu);
      release = true;
    }
    cv.notify_all();
    ASSERT_TRUE(
        testing::WaitUntil([&] { return blocked_done == round + 1; }, std::chrono::seconds(5)));
    {
      std::lock_guard lock(mu);
      release = false;
    }
    ASSERT_TRUE(ran) << "round " << round << ": the second task waited behind the first";
  }
}

}  // namespace
}  // namespace sloth::plugins
