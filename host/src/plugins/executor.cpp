#include "plugins/executor.hpp"

namespace sloth::plugins {

Executor::Executor(int max_threads, std::chrono::milliseconds idle_exit)
    : max_threads_(max_threads < 1 ? 1 : max_threads), idle_exit_(idle_exit) {
  timer_thread_ = std::thread([this] { Timers(); });
}

Executor::~Executor() {
  Shutdown();
}

bool Executor::Submit(std::function<void()> task) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return false;
  queue_.push_back(std::move(task));
  for (auto& t : finished_) t.join();
  finished_.clear();
  // An idle thread counts until it wakes, so one woken for an earlier task still looks idle:
  // a new thread unless the idle ones outnumber the tasks waiting (with `idle_ == 0`, a task
  // submitted right after another waited in the queue behind it, 15 s behind a held connect).
  if (queue_.size() > static_cast<std::size_t>(idle_) && threads_ < max_threads_) {
    ++threads_;
    std::thread t([this] { Work(); });
    const auto id = t.get_id();
    workers_.emplace(id, std::move(t));
  } else {
    cv_.notify_one();
  }
  return true;
}

bool Executor::Schedule(std::chrono::milliseconds delay, std::function<void()> task) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) return false;
  timers_.emplace(std::chrono::steady_clock::now() + delay, std::move(task));
  timer_cv_.notify_one();
  return true;
}

void Executor::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (queue_.empty()) {
      if (stopping_) break;
      ++idle_;
      const bool woke =
          cv_.wait_for(lock, idle_exit_, [&] { return stopping_ || !queue_.empty(); });
      --idle_;
      if (!woke) break;  // idle too long: shrink
      continue;
    }
    auto task = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    task();
    lock.lock();
  }
  --threads_;
  auto it = workers_.find(std::this_thread::get_id());
  if (it != workers_.end()) {
    finished_.push_back(std::move(it->second));
    workers_.erase(it);
  }
  cv_.notify_all();
}

void Executor::Timers() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (timers_.empty()) {
      timer_cv_.wait(lock);
      continue;
    }
    const auto due = timers_.begin()->first;
    if (std::chrono::steady_clock::now() < due) {
      timer_cv_.wait_until(lock, due);
      continue;
    }
    auto task = std::move(timers_.begin()->second);
    timers_.erase(timers_.begin());
    lock.unlock();
    Submit(std::move(task));
    lock.lock();
  }
}

void Executor::Shutdown() {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (stopping_ && workers_.empty() && !timer_thread_.joinable()) return;
    stopping_ = true;
    queue_.clear();
    timers_.clear();
    cv_.notify_all();
    timer_cv_.notify_all();
  }
  if (timer_thread_.joinable()) timer_thread_.join();
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return threads_ == 0; });
  for (auto& t : finished_) t.join();
  finished_.clear();
}

int Executor::Threads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return threads_;
}

int Executor::Busy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return threads_ - idle_;
}

bool Strand::Post(std::function<void()> task) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back(std::move(task));
  if (running_) return true;
  running_ = true;
  if (!executor_.Submit([self = shared_from_this()] { self->Drain(); })) {
    running_ = false;
    queue_.pop_back();
    return false;
  }
  return true;
}

void Strand::Drain() {
  std::function<void()> task;
  {
    std::lock_guard<std::mutex> lock(mu_);
    task = std::move(queue_.front());
    queue_.pop_front();
  }
  task();
  std::lock_guard<std::mutex> lock(mu_);
  if (queue_.empty()) {
    running_ = false;
    return;
  }
  // One task per turn keeps a busy instance from monopolising a pool thread.
  if (!executor_.Submit([self = shared_from_this()] { self->Drain(); })) {
    queue_.clear();
    running_ = false;
  }
}

}  // namespace sloth::plugins
