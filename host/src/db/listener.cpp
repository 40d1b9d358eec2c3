#include "db/listener.hpp"

#include <poll.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "db/pool.hpp"

namespace sloth::db {

Listener::Listener(std::string url, int connect_timeout_s)
    : url_(std::move(url)), connect_timeout_s_(connect_timeout_s) {
  if (pipe(wake_) != 0) throw std::runtime_error("cannot create the listener's wake pipe");
}

Listener::~Listener() {
  Stop();
  close(wake_[0]);
  close(wake_[1]);
}

void Listener::Subscribe(const std::string& channel, Callback cb) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const bool fresh = subs_[channel].empty();
    subs_[channel].push_back(std::move(cb));
    if (fresh) pending_listen_.push_back(channel);
  }
  const char b = 's';
  [[maybe_unused]] auto n = write(wake_[1], &b, 1);
}

void Listener::Start() {
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void Listener::Stop() {
  if (!thread_.joinable()) return;
  stop_ = true;
  const char b = 'q';
  [[maybe_unused]] auto n = write(wake_[1], &b, 1);
  thread_.join();
  conn_.reset();
  connected_ = false;
}

bool Listener::Connect() {
  try {
    conn_ = Connection::Open(url_, connect_timeout_s_, std::chrono::milliseconds(0));
    std::lock_guard<std::mutex> lock(mu_);
    pending_listen_.clear();
    for (const auto& [channel, cbs] : subs_) {
      conn_->Exec("LISTEN " + conn_->EscapeIdentifier(channel));
    }
    connected_ = true;
    return true;
  } catch (const std::exception& e) {
    spdlog::warn("listener: {}", e.what());
    conn_.reset();
    connected_ = false;
    return false;
  }
}

void Listener::Dispatch(const std::string& channel, const std::string& payload) {
  std::vector<Callback> cbs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = subs_.find(channel);
    if (it != subs_.end()) cbs = it->second;
  }
  for (auto& cb : cbs) {
    try {
      cb(channel, payload);
    } catch (const std::exception& e) {
      spdlog::error("listener: subscriber of '{}' failed: {}", channel, e.what());
    }
  }
}

void Listener::Loop() {
  auto backoff = std::chrono::milliseconds(100);
  while (!stop_) {
    if (!conn_) {
      if (!Connect()) {
        pollfd p{wake_[0], POLLIN, 0};
        poll(&p, 1, static_cast<int>(backoff.count()));
        char buf[64];
        if (p.revents & POLLIN) {
          [[maybe_unused]] auto n = read(wake_[0], buf, sizeof buf);
        }
        backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
        continue;
      }
      backoff = std::chrono::milliseconds(100);
      // Anything may have been sent while we were away: tell every subscriber to look.
      std::vector<std::string> channels;
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (const auto& [c, cbs] : subs_) channels.push_back(c);
      }
      for (const auto& c : channels) Dispatch(c, "");
    }
    try {
      std::vector<std::string> listen;
      {
        std::lock_guard<std::mutex> lock(mu_);
        listen.swap(pending_listen_);
      }
      for (const auto& c : listen) conn_->Exec("LISTEN " + conn_->EscapeIdentifier(c));

      pollfd fds[2] = {{PQsocket(conn_->raw()), POLLIN, 0}, {wake_[0], POLLIN, 0}};
      poll(fds, 2, 1000);
      if (fds[1].revents & POLLIN) {
        char buf[64];
        [[maybe_unused]] auto n = read(wake_[0], buf, sizeof buf);
      }
      if (PQconsumeInput(conn_->raw()) == 0 || PQstatus(conn_->raw()) != CONNECTION_OK) {
        throw ConnectionLost(PQerrorMessage(conn_->raw()));
      }
      while (PGnotify* n = PQnotifies(conn_->raw())) {
        std::string channel = n->relname;
        std::string payload = n->extra ? n->extra : "";
        PQfreemem(n);
        Dispatch(channel, payload);
      }
    } catch (const std::exception& e) {
      if (!stop_) spdlog::warn("listener: connection lost ({}); reconnecting", e.what());
      conn_.reset();
      connected_ = false;
    }
  }
}

void Notify(Transaction& tx, const std::string& channel, const std::string& payload) {
  tx.AfterCommit("notify " + channel + " " + payload, [channel, payload](Connection& c) {
    // Not waited for either: the caller's work is done, and the answer is read (a failure
    // logged) by the connection's next use.
    c.SendWithoutWaiting(
        {Statement{"SELECT set_config('synchronous_commit', 'off', true), pg_notify($1, $2)",
                   {Param(channel), Param(payload)}}});
  });
}

}  // namespace sloth::db
