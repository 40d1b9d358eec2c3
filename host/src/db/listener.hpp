#pragma once

// LISTEN/NOTIFY on a dedicated, direct connection (never a pooled one: a pooler in
// transaction mode would lose the LISTEN). Reconnects and re-subscribes by itself; a
// notification sent while it was disconnected is lost, so subscribers treat a notification
// as "look again", never as the data itself (a reconnect is reported to them for that).

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "db/connection.hpp"

namespace sloth::db {

class Listener {
 public:
  // `payload` is empty for the synthetic wake-up after a reconnect.
  using Callback = std::function<void(const std::string& channel, const std::string& payload)>;

  Listener(std::string url, int connect_timeout_s);
  ~Listener();

  // Subscribes `cb` to `channel`; may be called before or after Start().
  void Subscribe(const std::string& channel, Callback cb);
  void Start();
  void Stop();
  bool Connected() const { return connected_.load(); }

 private:
  void Loop();
  bool Connect();
  void Dispatch(const std::string& channel, const std::string& payload);

  std::string url_;
  int connect_timeout_s_;
  std::mutex mu_;
  std::map<std::string, std::vector<Callback>> subs_;
  std::vector<std::string> pending_listen_;
  std::unique_ptr<Connection> conn_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> connected_{false};
  int wake_[2] = {-1, -1};
};

// Sends a notification once the caller's transaction has committed, in a transaction of its
// own that does not wait for its WAL flush; the same one twice in a transaction goes once.
// Not inside the caller's: PostgreSQL holds one database-wide lock from a notifying
// transaction's commit until its WAL is flushed, so notifying commits would wait for each
// other's fsync one by one (8 clients on this project's 2-core machine: ~5,100 commits/s
// with a notification inside each, ~12,500 with it sent after). The price: a process that
// dies between the commit and the notification loses it (listeners poll as a fallback).
class Transaction;
void Notify(Transaction& tx, const std::string& channel, const std::string& payload);

}  // namespace sloth::db
