#pragma once

// Long polling for channel integrations connected in polling mode (no public URL, or asked
// for): one loop per integration calling the plugin's poll, which emits what it received
// into the inbound pipeline and confirms the provider's offset only after that. Across
// hosts, a session advisory lock on a dedicated connection makes one host the poller of an
// integration (two getUpdates callers would fight: Telegram answers 409); when that host
// dies its connection closes and another host takes over.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "db/pool.hpp"
#include "integrations/integration_runtime.hpp"

namespace sloth::channels {

struct PollerOptions {
  std::string database_url;  // direct connection for the advisory locks
  std::chrono::milliseconds poll_timeout{25000};
  std::chrono::milliseconds rescan{5000};
};

class Poller {
 public:
  Poller(db::Pool& pool, integrations::IntegrationRuntime& runtime, PollerOptions options)
      : pool_(pool), runtime_(runtime), options_(std::move(options)) {}
  ~Poller() { Stop(); }

  void Start();
  void Stop();
  // Looks for new or removed polling integrations now (tests, and after a connect).
  void Rescan();

 private:
  void Scan();
  void Loop(std::string integration_id, std::shared_ptr<std::atomic<bool>> stop);

  db::Pool& pool_;
  integrations::IntegrationRuntime& runtime_;
  PollerOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool rescan_ = false;
  std::thread scanner_;
  struct Running {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> stop;
  };
  std::map<std::string, Running> loops_;
};

}  // namespace sloth::channels
