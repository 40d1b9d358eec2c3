#include "db/pool.hpp"

#include <stdexcept>

#include <spdlog/spdlog.h>

namespace sloth::db {

Lease::~Lease() {
  if (pool_) pool_->Release(std::move(conn_));
}

Transaction::Transaction(Connection& c, Options options, std::function<Connection&()> reconnect,
                         int max_reconnects)
    : conn_(&c),
      options_(options),
      reconnect_(std::move(reconnect)),
      max_reconnects_(max_reconnects) {
  prologue_.push_back({options.read_only ? "BEGIN READ ONLY" : "BEGIN", {}});
  if (options.tenant) {
    if (options.tenant->value <= 0) throw std::invalid_argument("tenant id must be positive");
    // set_config(..., is_local => true) is SET LOCAL with a bound parameter.
    prologue_.push_back(
        {"SELECT set_config('search_path', $1, true)", {options.tenant->Schema() + ", public"}});
  }
  opening_ = prologue_;
  checks_.resize(prologue_.size());
  commit_with_first_ = options.read_only;
  options_.tenant = nullptr;  // the pointer is the caller's; only its text is kept
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

void Transaction::Precheck(std::string sql, std::vector<Param> params,
                           std::function<void(const Result&)> check) {
  if (opening_.empty()) throw std::logic_error("Precheck after the transaction's first statement");
  opening_.push_back({std::move(sql), std::move(params)});
  checks_.push_back(std::move(check));
}

void Transaction::QueueAtCommit(Statement statement, std::function<void(const Result&)> read) {
  if (options_.read_only) throw std::logic_error("AtCommit in a read-only transaction");
  at_commit_.push_back(std::move(statement));
  if (read) {
    at_commit_readers_.resize(at_commit_.size());
    at_commit_readers_.back() = std::move(read);
  }
}

void Transaction::AfterCommit(std::string key, std::function<void(Connection&)> fn) {
  if (options_.read_only) throw std::logic_error("AfterCommit in a read-only transaction");
  for (const auto& queued : after_commit_) {
    if (queued.first == key) return;
  }
  after_commit_.emplace_back(std::move(key), std::move(fn));
}

void Transaction::Committed(std::vector<Result>& at_commit_results) {
  auto readers = std::move(at_commit_readers_);
  at_commit_readers_.clear();
  for (std::size_t i = 0; i < readers.size() && i < at_commit_results.size(); ++i) {
    if (!readers[i]) continue;
    try {
      readers[i](at_commit_results[i]);
    } catch (const std::exception& e) {
      spdlog::warn("db: reading a result after the commit failed: {}", e.what());
    }
  }
  // A hook may queue another (a reader above did); each runs once.
  for (std::size_t i = 0; i < after_commit_.size(); ++i) {
    auto fn = std::move(after_commit_[i].second);
    try {
      fn(*conn_);
    } catch (const std::exception& e) {
      spdlog::warn("db: after the commit, {} failed: {}", after_commit_[i].first, e.what());
    }
  }
  after_commit_.clear();
}

Result Transaction::Open(std::vector<Statement> tail, std::vector<Result>* all) {
  std::vector<Statement> batch = std::move(opening_);
  opening_.clear();
  const bool first = !tail.empty();
  const bool commits = first && commit_with_first_;
  commit_with_first_ = false;
  const std::size_t first_at = batch.size();
  // Writes sent with their COMMIT may have committed when the connection dies before the
  // answer: they are not sent again.
  const bool repeatable = options_.read_only || tail.size() < 2 || tail.back().sql != "COMMIT";
  for (auto& st : tail) batch.push_back(std::move(st));
  if (commits) batch.push_back({"COMMIT", {}});
  for (int attempt = 0;; ++attempt) {
    try {
      auto outcome = conn_->TryPipeline(batch);
      if (commits && !outcome.error) {
        // Committed on the server: a further statement needs a transaction of its own.
        committed_ = true;
        opening_ = prologue_;
      }
      // Checks read what ran before any failure, so a refused account is refused whatever
      // the first statement did.
      for (std::size_t i = 0; i < checks_.size() && i < outcome.results.size(); ++i) {
        if (checks_[i] && i < outcome.failed_at) checks_[i](outcome.results[i]);
      }
      checks_.clear();
      if (outcome.error) std::rethrow_exception(outcome.error);
      if (all) all->assign(outcome.results.begin() + first_at, outcome.results.end());
      return first ? outcome.results[first_at] : Result();
    } catch (const ConnectionLost&) {
      // The connection died with this transaction uncommitted: nothing of it happened, so it
      // starts again on a fresh connection (unless it may have committed: see repeatable).
      if (!reconnect_ || attempt >= max_reconnects_ || !repeatable) throw;
      conn_ = &reconnect_();
    }
  }
}

std::vector<Result> Transaction::ExecAll(std::vector<Statement> statements) {
  const std::size_t n = statements.size();
  if (!opening_.empty()) {
    std::vector<Result> all;
    Open(std::move(statements), &all);
    all.resize(n);  // a read-only opening's COMMIT came back last
    return all;
  }
  return conn_->ExecPipeline(statements);
}

void Transaction::Commit() {
  std::vector<Statement> tail = std::move(at_commit_);
  at_commit_.clear();
  tail.push_back({"COMMIT", {}});
  if (!opening_.empty()) {
    if (!committed_) {
      // No statement ran: the prologue and its checks still must, and the commit goes with
      // them. A failure leaves done_ false: the transaction is rolled back.
      commit_with_first_ = false;
      std::vector<Result> results;
      Open(std::move(tail), &results);
      done_ = true;
      Committed(results);
      return;
    }
    done_ = true;
    return;
  }
  if (options_.read_only) {
    done_ = true;
    conn_->SendWithoutWaiting(tail);
    return;
  }
  // A failed COMMIT has ended the transaction on the server; a failure before it leaves the
  // transaction open and aborted, and done_ false, so it is rolled back.
  auto outcome = conn_->TryPipeline(tail);
  done_ = !outcome.error || outcome.failed_at + 1 == tail.size();
  if (outcome.error) std::rethrow_exception(outcome.error);
  Committed(outcome.results);
}

void Transaction::Rollback() {
  done_ = true;
  if (!opening_.empty()) return;  // nothing was sent
  if (conn_->Ok()) conn_->Exec("ROLLBACK");
}

Connection& Transaction::connection() {
  if (!opening_.empty()) Open({});
  return *conn_;
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
      if (c->HasUnreadResults()) {
        try {
          c->FinishSent();
        } catch (const ConnectionLost&) {
          // Replaced below.
        }
      }
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
  if (c && (!c->Ok() || (c->InTransaction() && !c->HasUnreadResults()))) c.reset();
  std::lock_guard<std::mutex> lock(mu_);
  if (c && !closed_) {
    idle_.push_back(std::move(c));
  } else {
    --open_;
  }
  cv_.notify_one();
}

Connection& Pool::Replace(Lease& lease) {
  lease.conn_.reset();
  Release(nullptr);  // frees the dead connection's slot
  {
    std::lock_guard<std::mutex> lock(mu_);
    ++reconnects_;
  }
  Lease fresh = Acquire();
  lease.conn_ = std::move(fresh.conn_);
  fresh.pool_ = nullptr;
  return *lease.conn_;
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
