#pragma once

// Threads for calls into plugins. A plugin call may block (a slow provider, a bug), so the
// pool grows up to a cap instead of letting one stuck instance starve the others, and
// idle threads exit again. A Strand runs its tasks one at a time, in order: that is how
// calls into a non-reentrant instance are serialised.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace sloth::plugins {

class Executor {
 public:
  Executor(int max_threads, std::chrono::milliseconds idle_exit = std::chrono::seconds(30));
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Runs `task` on a pool thread. Never blocks. Returns false after Shutdown().
  bool Submit(std::function<void()> task);
  // Runs `task` on a pool thread after `delay`.
  bool Schedule(std::chrono::milliseconds delay, std::function<void()> task);
  // Drops queued and scheduled tasks and joins every thread (running tasks finish first).
  void Shutdown();

  int Threads() const;
  int Busy() const;

 private:
  void Work();
  void Timers();

  const int max_threads_;
  const std::chrono::milliseconds idle_exit_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  int threads_ = 0;
  int idle_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> finished_;  // exited workers awaiting join
  std::map<std::thread::id, std::thread> workers_;

  std::condition_variable timer_cv_;
  std::multimap<std::chrono::steady_clock::time_point, std::function<void()>> timers_;
  std::thread timer_thread_;
};

class Strand : public std::enable_shared_from_this<Strand> {
 public:
  explicit Strand(Executor& executor) : executor_(executor) {}
  // Queues `task` behind the strand's earlier tasks. Returns false when the executor
  // refused (shut down).
  bool Post(std::function<void()> task);

 private:
  void Drain();
  Executor& executor_;
  std::mutex mu_;
  std::deque<std::function<void()>> queue_;
  bool running_ = false;
};

}  // namespace sloth::plugins
