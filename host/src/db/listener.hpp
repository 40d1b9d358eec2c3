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

// Sends a notification inside the caller's transaction (delivered at commit).
class Transaction;
void Notify(Transaction& tx, const std::string& channel, const std::string& payload);

}  // namespace sloth::db
