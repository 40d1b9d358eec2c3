#include "channels/poller.hpp"

#include <set>

#include <spdlog/spdlog.h>

#include "db/connection.hpp"

namespace sloth::channels {

void Poller::Start() {
  scanner_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      lock.unlock();
      try {
        Scan();
      } catch (const std::exception& e) {
        spdlog::warn("channels: poll scan failed: {}", e.what());
      }
      lock.lock();
      cv_.wait_for(lock, options_.rescan, [&] { return stopping_ || rescan_; });
      rescan_ = false;
    }
  });
}

void Poller::Rescan() {
  std::lock_guard lock(mu_);
  rescan_ = true;
  cv_.notify_all();
}

void Poller::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !scanner_.joinable()) return;
    stopping_ = true;
    cv_.notify_all();
  }
  if (scanner_.joinable()) scanner_.join();
  std::map<std::string, Running> loops;
  {
    std::lock_guard lock(mu_);
    loops.swap(loops_);
  }
  for (auto& [id, r] : loops) r.stop->store(true);
  for (auto& [id, r] : loops) r.thread.join();
}

void Poller::Scan() {
  const auto rows = pool_.InTransaction(
      [](db::Transaction& tx) { return integrations::IntegrationRepository().ListPolling(tx); });
  std::set<std::string> wanted;
  for (const auto& r : rows) wanted.insert(r.id);
  std::lock_guard lock(mu_);
  if (stopping_) return;
  for (auto it = loops_.begin(); it != loops_.end();) {
    if (!wanted.count(it->first)) {  // disconnected or disabled: stop polling it
      it->second.stop->store(true);
      it->second.thread.join();
      it = loops_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& id : wanted) {
    if (loops_.count(id)) continue;
    auto stop = std::make_shared<std::atomic<bool>>(false);
    loops_[id] = {std::thread([this, id, stop] { Loop(id, stop); }), stop};
  }
}

void Poller::Loop(std::string id, std::shared_ptr<std::atomic<bool>> stop) {
  std::unique_ptr<db::Connection> lock_conn;
  auto backoff = std::chrono::milliseconds(500);
  auto pause = [&](std::chrono::milliseconds d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (!stop->load() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  };
  while (!stop->load()) {
    try {
      if (!lock_conn) {
        lock_conn = db::Connection::Open(options_.database_url, 5, std::chrono::milliseconds(5000));
        const bool mine = integrations::IntegrationRepository::TryClaimPolling(*lock_conn, id);
        if (!mine) {  // another host polls it; look again later
          lock_conn.reset();
          pause(options_.rescan);
          continue;
        }
        spdlog::info("channels: polling integration {}", id);
      }
      const auto row = pool_.InTransaction(
          [&](db::Transaction& tx) { return integrations::IntegrationRepository().Find(tx, id); });
      if (!row) return;
      const auto out =
          runtime_.Instance(*row)->Poll(static_cast<std::uint32_t>(options_.poll_timeout.count()));
      if (out.ok()) {
        backoff = std::chrono::milliseconds(500);
        continue;
      }
      const auto wait =
          out.retry_after_ms ? std::chrono::milliseconds(out.retry_after_ms) : backoff;
      spdlog::warn("channels: poll of {} failed ({}); again in {} ms", id, out.error, wait.count());
      pool_.InTransaction([&](db::Transaction& tx) {
        integrations::IntegrationRepository().RecordError(tx, id, out.error);
      });
      pause(wait);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
    } catch (const std::exception& e) {
      spdlog::warn("channels: poll of {} failed: {}", id, e.what());
      lock_conn.reset();  // the lock went with a broken connection; take it again
      pause(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
    }
  }
}

}  // namespace sloth::channels
