#include "db/pool.hpp"

#include <stdexcept>

namespace sloth::db {

Lease::~Lease() {
  if (pool_) pool_->Release(std::move(conn_));
}

Transaction::~Transaction() {
  if (!done_) {
    try {
      Rollback();
    } catch (...) {
      // The connection is broken; Lease will discard it because it is not idle.
    }
  }
}

void Transaction::Commit() {
  done_ = true;
  conn_->Exec("COMMIT");
}

void Transaction::Rollback() {
  done_ = true;
  if (conn_->Ok()) conn_->Exec("ROLLBACK");
}

Pool::Pool(PoolOptions options) : options_(std::move(options)) {
  if (options_.size < 1) throw std::invalid_argument("pool size must be at least 1");
}

Pool::~Pool() {
  Close();
}

Lease Pool::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  bool waited = false;
  for (;;) {
    if (closed_) throw ConnectionLost("the connection pool is closed");
    if (!idle_.empty()) {
      auto c = std::move(idle_.front());
      idle_.pop_front();
      lock.unlock();
      const bool stale =
          std::chrono::steady_clock::now() - c->last_used() > options_.health_check_idle;
      if (c->Ok() && (!stale || c->Ping())) return Lease(this, std::move(c));
      // Dead (e.g. the server restarted): drop it and open a fresh one in its place.
      c.reset();
      lock.lock();
      --open_;
      ++reconnects_;
      continue;
    }
    if (open_ < options_.size) {
      ++open_;
      lock.unlock();
      try {
        return Lease(this,
                     Connection::Open(options_.url, options_.connect_timeout_s,
                                      options_.statement_timeout, options_.prepared_statements));
      } catch (...) {
        lock.lock();
        --open_;
        cv_.notify_one();
        throw;
      }
    }
    if (!waited) {
      waited = true;
      ++waits_;
    }
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.size) {
      ++timeouts_;
      throw PoolTimeout("no database connection free within " +
                        std::to_string(options_.acquire_timeout.count()) + " ms");
    }
  }
}

void Pool::Release(std::unique_ptr<Connection> c) {
  // A connection still in a transaction (its rollback failed) or broken is not reused.
  if (c && (!c->Ok() || c->InTransaction())) c.reset();
  std::lock_guard<std::mutex> lock(mu_);
  if (c && !closed_) {
    idle_.push_back(std::move(c));
  } else {
    --open_;
  }
  cv_.notify_one();
}

void Pool::Begin(Connection& c, const TenantId* tenant) {
  c.Exec("BEGIN");
  if (tenant) {
    if (tenant->value <= 0) throw std::invalid_argument("tenant id must be positive");
    // set_config(..., is_local => true) is SET LOCAL with a bound parameter.
    c.Exec("SELECT set_config('search_path', $1, true)", tenant->Schema() + ", public");
  }
}

Lease Pool::AcquireBegun(const TenantId* tenant) {
  // Every idle connection may have died with a server restart; allow one retry per slot.
  for (int attempt = 0;; ++attempt) {
    Lease lease = Acquire();
    try {
      Begin(*lease, tenant);
      return lease;
    } catch (const ConnectionLost&) {
      lease.Discard();
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++reconnects_;
      }
      if (attempt >= options_.size) throw;
    }
  }
}

PoolStats Pool::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  PoolStats s;
  s.size = options_.size;
  s.idle = static_cast<int>(idle_.size());
  s.in_use = open_ - s.idle;
  s.waits = waits_;
  s.timeouts = timeouts_;
  s.reconnects = reconnects_;
  return s;
}

void Pool::Close() {
  std::deque<std::unique_ptr<Connection>> drop;
  {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    drop.swap(idle_);
    open_ -= static_cast<int>(drop.size());
  }
  cv_.notify_all();
}

}  // namespace sloth::db
