#include "channels/poller.hpp"

#include <set>

#include <spdlog/spdlog.h>

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
  for (int i = 0; i < options_.threads; ++i) workers_.emplace_back([this] { Work(); });
}

void Poller::Rescan() {
  std::lock_guard lock(mu_);
  rescan_ = true;
  cv_.notify_all();
}

std::size_t Poller::claimed() const {
  std::lock_guard lock(mu_);
  return claimed_.size();
}

void Poller::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !scanner_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  work_cv_.notify_all();
  if (scanner_.joinable()) scanner_.join();
  for (auto& w : workers_) w.join();  // each finishes its poll (at most poll_timeout)
  workers_.clear();
  std::lock_guard lock(mu_);
  claimed_.clear();
  lock_conn_.reset();  // the claims go with the session
}

void Poller::Scan() {
  const auto rows = pool_.InTransaction(
      [](db::Transaction& tx) { return integrations::IntegrationRepository().ListPolling(tx); });
  std::set<std::string> wanted;
  for (const auto& r : rows) wanted.insert(r.id);
  std::vector<std::string> gone, fresh;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    for (const auto& [id, c] : claimed_)
      if (!wanted.count(id)) gone.push_back(id);
    for (const auto& id : wanted)
      if (!claimed_.count(id)) fresh.push_back(id);
  }
  if (gone.empty() && fresh.empty()) return;
  try {
    if (!lock_conn_)
      lock_conn_ = db::Connection::Open(options_.database_url, 5, std::chrono::milliseconds(5000));
    integrations::IntegrationRepository repo;
    for (const auto& id : gone) {  // disconnected or disabled: stop polling it
      repo.ReleasePolling(*lock_conn_, id);
      std::lock_guard lock(mu_);
      claimed_.erase(id);
    }
    for (const auto& id : fresh) {
      if (!repo.TryClaimPolling(*lock_conn_, id)) continue;  // another host polls it
      spdlog::info("channels: polling integration {}", id);
      std::lock_guard lock(mu_);
      claimed_[id] = Claimed{Clock::now()};
    }
  } catch (const std::exception& e) {
    // The claims went with a broken connection: drop them all and claim again next scan.
    spdlog::warn("channels: poll claims lost: {}", e.what());
    std::lock_guard lock(mu_);
    claimed_.clear();
    lock_conn_.reset();
  }
  work_cv_.notify_all();
}

void Poller::Work() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    // The integration due first that no other thread is polling.
    auto best = claimed_.end();
    for (auto it = claimed_.begin(); it != claimed_.end(); ++it) {
      if (!it->second.busy && (best == claimed_.end() || it->second.due < best->second.due))
        best = it;
    }
    if (best == claimed_.end()) {
      work_cv_.wait(lock);
      continue;
    }
    if (best->second.due > Clock::now()) {
      work_cv_.wait_until(lock, best->second.due);
      continue;
    }
    const std::string id = best->first;
    best->second.busy = true;
    const bool long_poll = claimed_.size() <= static_cast<std::size_t>(options_.threads);
    lock.unlock();
    PollOne(id, long_poll ? options_.poll_timeout : std::chrono::milliseconds(0));
    lock.lock();
  }
}

void Poller::PollOne(const std::string& id, std::chrono::milliseconds timeout) {
  std::string error;
  std::chrono::milliseconds retry_after{0};
  bool missing = false;
  try {
    const auto row = pool_.InTransaction(
        [&](db::Transaction& tx) { return integrations::IntegrationRepository().Find(tx, id); });
    missing = !row;  // removed: the next scan releases it
    if (row) {
      const auto out = runtime_.Instance(*row)->Poll(static_cast<std::uint32_t>(timeout.count()));
      if (!out.ok()) {
        error = out.error.empty() ? "poll failed" : out.error;
        retry_after = std::chrono::milliseconds(out.retry_after_ms);
        pool_.InTransaction([&](db::Transaction& tx) {
          integrations::IntegrationRepository().RecordError(tx, id, error);
        });
      }
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  std::lock_guard lock(mu_);
  const auto it = claimed_.find(id);
  if (it == claimed_.end()) return;  // released while we polled
  Claimed& c = it->second;
  c.busy = false;
  if (missing) {
    c.due = Clock::now() + options_.rescan;
  } else if (error.empty()) {
    c.backoff = std::chrono::milliseconds(500);
    c.due = Clock::now();
  } else {
    const auto wait = retry_after.count() > 0 ? retry_after : c.backoff;
    spdlog::warn("channels: poll of {} failed ({}); again in {} ms", id, error, wait.count());
    c.due = Clock::now() + wait;
    c.backoff = std::min(c.backoff * 2, std::chrono::milliseconds(30000));
  }
  work_cv_.notify_one();
}

}  // namespace sloth::channels
