// The cost of one call into a plugin, three ways, in one run:
//   DirectVirtual   a virtual call on a C++ object (the baseline)
//   AbiCall         through the C ABI of a dlopen'ed plugin: function pointer, the C++
//                   wrapper's trampoline and exception guard, output through the host sink
//   HostInstance    through PluginInstance::Send: what the host really does per call
//                   (copy inputs, hand off to the instance's strand, wait with a timeout,
//                   validate the JSON output, record metrics)
// Payloads: empty, and a ~200-byte JSON message.
#include <memory>
#include <string>

#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include "metrics/metrics.hpp"
#include "plugins/bench_channel.hpp"
#include "plugins/host_services.hpp"
#include "plugins/plugin_manager.hpp"

namespace {

const std::string kPayload200 =
    R"({"chat_id":"123456789","text":"Hello! I would like to book a manicure for Friday )"
    R"(afternoon, around 15:00 if possible. Do you have anything free then?","reply_to":"42",)"
    R"("parse_mode":"HTML"})";

const std::string& Payload(const benchmark::State& state) {
  static const std::string empty;
  return state.range(0) == 0 ? empty : kPayload200;
}

struct Loaded {
  sloth::metrics::Registry metrics;
  std::unique_ptr<sloth::plugins::PluginManager> manager;
  std::shared_ptr<const sloth::plugins::LoadedPlugin> plugin;
  std::shared_ptr<sloth::plugins::PluginInstance> instance;
  void* handle = nullptr;

  Loaded() {
    spdlog::set_level(spdlog::level::warn);
    sloth::plugins::ManagerOptions o;
    o.dirs = {SLOTH_BENCH_PLUGIN_DIR};
    sloth::plugins::HostContext c;
    c.metrics = &metrics;
    manager = std::make_unique<sloth::plugins::PluginManager>(o, c);
    manager->LoadAll();
    plugin = manager->Find("bench");
    if (!plugin) throw std::runtime_error("bench plugin not found in " SLOTH_BENCH_PLUGIN_DIR);
    instance = manager->CreateInstance("bench", {"bench", std::nullopt, nlohmann::json::object()});
    instance->Start();
    sloth_instance_args args{};
    args.struct_size = sizeof args;
    sloth_call call;
    plugin->api->create(&args, &call, &handle);
  }
  ~Loaded() {
    instance->Stop();
    if (handle) plugin->api->destroy(handle);
  }
};

Loaded& Plugin() {
  static Loaded loaded;
  return loaded;
}

void DirectVirtual(benchmark::State& state) {
  std::unique_ptr<bench::Sender> sender(bench::MakeDirectSender());
  const std::string& payload = Payload(state);
  for (auto _ : state) {
    std::string out = sender->Send(payload);
    benchmark::DoNotOptimize(out);
  }
}

void AbiCall(benchmark::State& state) {
  auto& p = Plugin();
  auto* const send = p.plugin->api->channel->send;
  const std::string& payload = Payload(state);
  sloth_call call;
  for (auto _ : state) {
    call.output.clear();
    const int32_t s = send(p.handle, &call, sloth_str{payload.data(), payload.size()});
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(call.output);
  }
}

void HostInstance(benchmark::State& state) {
  auto& p = Plugin();
  const std::string& payload = Payload(state);
  for (auto _ : state) {
    auto out = p.instance->Send(payload);
    benchmark::DoNotOptimize(out);
  }
}

BENCHMARK(DirectVirtual)->ArgName("payload_bytes")->Arg(0)->Arg(200);
BENCHMARK(AbiCall)->ArgName("payload_bytes")->Arg(0)->Arg(200);
BENCHMARK(HostInstance)->ArgName("payload_bytes")->Arg(0)->Arg(200)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
