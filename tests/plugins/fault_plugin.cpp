// Fault injection through the C++ wrapper. The config's "mode" picks the misbehaviour:
//   fail_create     create fails with a message
//   throw           every operation and stop throw std::runtime_error (start works)
//   throw_start     start throws
//   malformed_json  send returns text that is not JSON
//   block           send blocks until the host cancels the call (or 10 s)
//   after_stop      a thread keeps calling host services from start until destroy
//   posts           start posts two tasks (one due at once, one in an hour)
//   ok              behaves
#include <atomic>
#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "sloth/plugin.hpp"

namespace {

class FaultPlugin final : public sloth::Channel {
 public:
  explicit FaultPlugin(const sloth::InstanceArgs& args) {
    mode_ = nlohmann::json::parse(args.config_json).value("mode", "ok");
    if (mode_ == "fail_create") {
      throw sloth::Error(sloth::Status::kInvalidArgument, "fault: create refused by config");
    }
  }
  ~FaultPlugin() override {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }

  void Start() override {
    if (mode_ == "throw_start") throw std::runtime_error("fault: thrown in start");
    if (mode_ == "after_stop") {
      const sloth::Host h = host();
      thread_ = std::thread([this, h] {
        while (!done_) {
          h.Log(SLOTH_LOG_DEBUG, "still here");
          h.CounterAdd("ticks");
          try {
            h.KvPut("tick", "x");
            h.Emit(R"({"type":"tick"})");
          } catch (const sloth::Error&) {
            // Refused after stop, as it must be.
          }
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      });
    }
    if (mode_ == "posts") {
      host().Post(0, [this](bool cancelled) { (cancelled ? cancelled_ : ran_)++; });
      host().Post(3600 * 1000, [this](bool cancelled) { (cancelled ? cancelled_ : ran_)++; });
    }
  }
  void Stop() override { Maybe("stop"); }
  std::string Health() override {
    Maybe("health");
    return nlohmann::json{{"status", "ok"}, {"ran", ran_.load()}, {"cancelled", cancelled_.load()}}
        .dump();
  }
  std::string Webhook(const sloth::WebhookRequest&) override {
    Maybe("webhook");
    return R"({"events":[]})";
  }
  std::string Poll(uint32_t) override {
    Maybe("poll");
    return R"({"received":0})";
  }
  std::string Connect(std::string_view) override {
    Maybe("connect");
    return R"({"mode":"none"})";
  }
  void Disconnect() override { Maybe("disconnect"); }
  std::string Send(std::string_view) override {
    Maybe("send");
    if (mode_ == "malformed_json") return "{not json";
    if (mode_ == "block") {
      const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (std::chrono::steady_clock::now() < until && !sloth::CallCancelled()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
    return R"({"message_id":"1"})";
  }

 private:
  void Maybe(const char* where) {
    if (mode_ == "throw") throw std::runtime_error(std::string("fault: thrown in ") + where);
  }
  std::string mode_;
  std::atomic<bool> done_{false};
  std::thread thread_;
  std::atomic<int> ran_{0};
  std::atomic<int> cancelled_{0};
};

}  // namespace

SLOTH_PLUGIN(FaultPlugin, "fault", "1.0.0")
