#pragma once

// Read deadlines per connection. A socket receive timeout only bounds the gap between two
// bytes, so a client dripping one byte at a time holds a worker thread for as long as it
// likes. Here each connection has one deadline at a time — for its next request head
// (idle keep-alive time plus the head's read time) or for the body it is sending — and a
// watchdog thread shuts down the socket of a connection past it, which ends the blocked
// read and frees the thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include <Poco/Net/StreamSocket.h>

namespace sloth::http {

class ReadDeadlines {
 public:
  using Clock = std::chrono::steady_clock;

  // `on_expired` runs (on the watchdog thread) for each connection cut off.
  explicit ReadDeadlines(std::function<void()> on_expired = {});
  ~ReadDeadlines();
  ReadDeadlines(const ReadDeadlines&) = delete;
  ReadDeadlines& operator=(const ReadDeadlines&) = delete;

  // One connection's registration, for as long as it lives. Connections run on one thread
  // each, so the current thread's registration is found without passing it around.
  class Watch {
   public:
    Watch(ReadDeadlines& owner, const Poco::Net::StreamSocket& socket);
    ~Watch();
    Watch(const Watch&) = delete;
    Watch& operator=(const Watch&) = delete;
    void Arm(Clock::duration within);
    void Disarm();
    // The calling thread's connection, or nullptr outside one.
    static Watch* Current();

   private:
    ReadDeadlines& owner_;
    std::uint64_t id_;
    Watch* previous_;
  };

 private:
  struct Entry {
    Poco::Net::StreamSocket socket;
    Clock::time_point deadline = Clock::time_point::max();
  };
  void Run();

  std::function<void()> on_expired_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::uint64_t, Entry> entries_;
  std::uint64_t next_id_ = 1;
  Clock::time_point wake_ = Clock::time_point::max();  // when the watchdog looks next
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sloth::http
