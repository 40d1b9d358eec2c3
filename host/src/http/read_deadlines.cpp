#include "http/read_deadlines.hpp"

#include <algorithm>

namespace sloth::http {
namespace {
thread_local ReadDeadlines::Watch* current_watch = nullptr;
}  // namespace

ReadDeadlines::ReadDeadlines(std::function<void()> on_expired)
    : on_expired_(std::move(on_expired)), thread_([this] { Run(); }) {}

ReadDeadlines::~ReadDeadlines() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void ReadDeadlines::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    auto next = Clock::time_point::max();
    const auto now = Clock::now();
    for (auto& [id, e] : entries_) {
      if (e.deadline <= now) {
        e.deadline = Clock::time_point::max();  // cut off once
        try {
          e.socket.shutdown();  // the blocked read returns; the connection ends
        } catch (const Poco::Exception&) {
          // already closed by its thread: nothing to cut
        }
        if (on_expired_) on_expired_();
      } else {
        next = std::min(next, e.deadline);
      }
    }
    wake_ = next;
    if (next == Clock::time_point::max()) {
      changed_.wait(lock);
    } else {
      changed_.wait_until(lock, next);
    }
  }
}

ReadDeadlines::Watch::Watch(ReadDeadlines& owner, const Poco::Net::StreamSocket& socket)
    : owner_(owner), previous_(current_watch) {
  std::lock_guard<std::mutex> lock(owner_.mu_);
  id_ = owner_.next_id_++;
  owner_.entries_.emplace(id_, Entry{socket});
  current_watch = this;
}

ReadDeadlines::Watch::~Watch() {
  current_watch = previous_;
  std::lock_guard<std::mutex> lock(owner_.mu_);
  owner_.entries_.erase(id_);
}

void ReadDeadlines::Watch::Arm(Clock::duration within) {
  const auto deadline = Clock::now() + within;
  bool sooner = false;
  {
    std::lock_guard<std::mutex> lock(owner_.mu_);
    owner_.entries_.at(id_).deadline = deadline;
    sooner = deadline < owner_.wake_;  // else the watchdog wakes in time to see it
  }
  if (sooner) owner_.changed_.notify_one();
}

void ReadDeadlines::Watch::Disarm() {
  std::lock_guard<std::mutex> lock(owner_.mu_);
  owner_.entries_.at(id_).deadline = Clock::time_point::max();
}

ReadDeadlines::Watch* ReadDeadlines::Watch::Current() {
  return current_watch;
}

}  // namespace sloth::http
