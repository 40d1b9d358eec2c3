#pragma once

// Polling for channel integrations connected in polling mode (no public URL, or asked
// for): a fixed set of threads shared by every such integration calls the plugin's poll,
// which emits what it received into the inbound pipeline and confirms the provider's
// offset only after that. While there are no more integrations than threads each is
// long-polled; beyond, the threads poll them in turn with no wait, so an integration is
// polled every (integrations / threads) round trips. Across hosts, session advisory locks
// on one dedicated connection make one host the poller of an integration (two getUpdates
// callers would fight: Telegram answers 409); when that host dies its connection closes
// and the other hosts claim its integrations at their next scan.
//
// Cost per host: poll_threads threads and one database connection, whatever the number of
// integrations (bench/RESULTS.md measures 200).

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "db/connection.hpp"
#include "db/pool.hpp"
#include "integrations/integration_runtime.hpp"

namespace sloth::channels {

struct PollerOptions {
  std::string database_url;  // direct connection for the advisory locks
  std::chrono::milliseconds poll_timeout{25000};
  std::chrono::milliseconds rescan{5000};
  int threads = 16;
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
  // Integrations this host polls (claimed), for tests and metrics.
  std::size_t claimed() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Claimed {
    Clock::time_point due;
    bool busy = false;
    std::chrono::milliseconds backoff{500};
  };
  void Scan();
  void Work();
  void PollOne(const std::string& id, std::chrono::milliseconds timeout);

  db::Pool& pool_;
  integrations::IntegrationRuntime& runtime_;
  PollerOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;       // the scanner: stop or rescan
  std::condition_variable work_cv_;  // the workers: an integration became due
  bool stopping_ = false;
  bool rescan_ = false;
  std::thread scanner_;
  std::vector<std::thread> workers_;
  std::unique_ptr<db::Connection> lock_conn_;  // the scanner's alone
  std::map<std::string, Claimed> claimed_;
};

}  // namespace sloth::channels
