#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "db/connection.hpp"
#include "db/query.hpp"

namespace sloth::db {

class Pool;

struct PoolOptions {
  std::string url;
  int size = 10;
  std::chrono::milliseconds acquire_timeout{5000};
  int connect_timeout_s = 5;
  std::chrono::milliseconds statement_timeout{30000};
  std::chrono::milliseconds health_check_idle{1000};
  bool prepared_statements = true;
};

struct PoolStats {
  int size = 0;
  int in_use = 0;
  int idle = 0;
  std::uint64_t waits = 0;     // acquisitions that had to wait for a connection
  std::uint64_t timeouts = 0;  // acquisitions that gave up
  std::uint64_t reconnects = 0;
};

// No connection became free within the acquire timeout.
class PoolTimeout : public Error {
 public:
  explicit PoolTimeout(const std::string& what) : Error(what, "57014") {}
};

// A borrowed connection; returns to the pool when destroyed. A connection left inside a
// transaction or broken is closed rather than reused.
class Lease {
 public:
  Lease(Pool* pool, std::unique_ptr<Connection> c) : pool_(pool), conn_(std::move(c)) {}
  Lease(Lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), conn_(std::move(o.conn_)) {}
  Lease& operator=(Lease&&) = delete;
  ~Lease();
  Connection* operator->() { return conn_.get(); }
  Connection& operator*() { return *conn_; }
  // Close the connection instead of returning it (after ConnectionLost); the slot is freed.
  void Discard() { conn_.reset(); }

 private:
  friend class Pool;
  Pool* pool_;
  std::unique_ptr<Connection> conn_;
};

// Identifies a tenant; its schema is tenant_<id>.
struct TenantId {
  std::int64_t value = 0;
  std::string Schema() const { return "tenant_" + std::to_string(value); }
};

// Pass to InTransaction/InTenant for work that only reads: the transaction is READ ONLY
// (PostgreSQL refuses a write in it) and its COMMIT is not waited for.
struct ReadOnly {};
inline constexpr ReadOnly kReadOnly{};

// A transaction on a leased connection. Rolls back when destroyed uncommitted, so an
// exception anywhere in the body leaves nothing behind.
//
// Nothing is sent until the first statement: BEGIN, the tenant scope and any Precheck go
// with it in one round trip (libpq pipeline mode). A read-only transaction's first statement
// also carries its COMMIT, so a request that reads with one statement is one message to the
// server and one answer; a further statement opens a second read-only transaction (BEGIN and
// the scope again, in the same round trip as the statement) whose COMMIT is sent without
// waiting. Reads are READ COMMITTED, where every statement takes its own snapshot anyway, so
// splitting them this way changes nothing they can see.
class Transaction {
 public:
  struct Options {
    const TenantId* tenant = nullptr;
    bool read_only = false;
  };
  // `reconnect` replaces a connection found dead before anything of the transaction ran;
  // it may be called up to `max_reconnects` times.
  Transaction(Connection& c, Options options, std::function<Connection&()> reconnect = {},
              int max_reconnects = 0);
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  template <typename... Args>
  Result Exec(std::string_view sql, const Args&... args) {
    if (!opening_.empty()) return Open({Statement{std::string(sql), {Param(args)...}}});
    return conn_->Exec(sql, args...);
  }
  // Same, results in binary format (Statement::binary).
  template <typename... Args>
  Result ExecBinary(std::string_view sql, const Args&... args) {
    if (!opening_.empty()) return Open({Statement{std::string(sql), {Param(args)...}, true}});
    return conn_->ExecBinary(sql, args...);
  }
  // Runs a repository's query and returns what it reads.
  template <typename T>
  T Exec(const Query<T>& q) {
    return q.read(ExecAll({q.statement}).front());
  }
  // Sends independent queries in one round trip (libpq pipeline mode) and returns what each
  // reads, in order: for reads (or writes) none of which needs another's result. They run one
  // after the other in this transaction, as separate Exec calls would; when one fails the
  // server skips the rest and its error is thrown (the transaction then rolls back).
  template <typename... T>
  std::tuple<T...> Together(const Query<T>&... q) {
    const auto results = ExecAll({q.statement...});
    return ReadEach(results, std::index_sequence_for<T...>{}, q...);
  }
  // Queues a statement whose result nobody reads to travel with the COMMIT, in its round
  // trip. If it fails, nothing of the transaction commits and Commit() throws its error:
  // a statement that must refuse the whole transaction raises. Read-write transactions only.
  template <typename... Args>
  void AtCommit(std::string_view sql, const Args&... args) {
    QueueAtCommit(Statement{std::string(sql), {Param(args)...}}, {});
  }
  // The same for a repository's query; `then`, when given, gets what it reads once the
  // transaction has committed (before any AfterCommit work runs; it may queue some).
  template <typename T>
  void AtCommit(const Query<T>& q, std::type_identity_t<std::function<void(T)>> then = {}) {
    std::function<void(const Result&)> read;
    if (then) read = [r = q.read, then = std::move(then)](const Result& res) { then(r(res)); };
    QueueAtCommit(q.statement, std::move(read));
  }
  // Runs `fn` on this connection once the transaction has committed, outside it (a
  // statement there is a transaction of its own), never when it rolls back: for what must
  // not hold the commit up. One per `key`: a second with a key already queued is dropped. A
  // failure is logged, not thrown — the transaction did commit. Read-write transactions only.
  void AfterCommit(std::string key, std::function<void(Connection&)> fn);
  // Sends `sql` with the transaction's first statement; `check` reads its result before that
  // statement's result is returned, and throws to refuse the work (the transaction then
  // rolls back). Only before the first statement.
  void Precheck(std::string sql, std::vector<Param> params,
                std::function<void(const Result&)> check);
  void Commit();
  void Rollback();
  // The connection with the transaction open on it (migrations run scripts through it).
  Connection& connection();

 private:
  // Sends what is queued, then `tail`; runs the checks; returns the result of `tail`'s first
  // (and every result of `tail` in `all` when given).
  Result Open(std::vector<Statement> tail, std::vector<Result>* all = nullptr);
  void QueueAtCommit(Statement statement, std::function<void(const Result&)> read);
  // Sends `statements` in one round trip (with the opening when it is still to go).
  std::vector<Result> ExecAll(std::vector<Statement> statements);
  template <typename... T, std::size_t... I>
  static std::tuple<T...> ReadEach(const std::vector<Result>& results, std::index_sequence<I...>,
                                   const Query<T>&... q) {
    // Braced initialisation reads the results in order.
    return std::tuple<T...>{q.read(results[I])...};
  }
  // Hands the AtCommit statements' results to their readers, then runs the AfterCommit work.
  void Committed(std::vector<Result>& at_commit_results);

  Connection* conn_;
  Options options_;
  std::function<Connection&()> reconnect_;
  int max_reconnects_;
  std::vector<Statement> prologue_;  // BEGIN and the tenant scope
  std::vector<Statement> opening_;   // not sent yet
  std::vector<std::function<void(const Result&)>> checks_;
  std::vector<Statement> at_commit_;                                   // sent with the COMMIT
  std::vector<std::function<void(const Result&)>> at_commit_readers_;  // by at_commit_ index
  std::vector<std::pair<std::string, std::function<void(Connection&)>>> after_commit_;
  bool commit_with_first_ = false;  // read-only: the first statement carries the COMMIT
  bool committed_ = false;          // ...and it did; nothing of this transaction is open
  bool done_ = false;
};

class Pool {
 public:
  explicit Pool(PoolOptions options);
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Borrows a healthy connection, opening or re-opening one as needed. Throws PoolTimeout,
  // or ConnectionLost when the server cannot be reached.
  Lease Acquire();

  // Runs `fn(Transaction&)` in a transaction and commits it. A connection found dead at
  // BEGIN is replaced transparently; an error inside `fn` rolls back and propagates.
  template <typename F>
  auto InTransaction(F&& fn) {
    return Run({}, std::forward<F>(fn));
  }
  template <typename F>
  auto InTransaction(ReadOnly, F&& fn) {
    return Run({nullptr, true}, std::forward<F>(fn));
  }

  // Same, with the tenant's schema first on the search path for this transaction only
  // (SET LOCAL semantics), so a pooled connection never carries one tenant's scope into
  // another's work.
  template <typename F>
  auto InTenant(TenantId tenant, F&& fn) {
    return Run({&tenant, false}, std::forward<F>(fn));
  }
  template <typename F>
  auto InTenant(TenantId tenant, ReadOnly, F&& fn) {
    return Run({&tenant, true}, std::forward<F>(fn));
  }

  PoolStats Stats() const;
  // Closes idle connections and refuses new acquisitions; leases out finish normally.
  void Close();
  const PoolOptions& options() const { return options_; }

 private:
  friend class Lease;
  void Release(std::unique_ptr<Connection> c);
  // Closes the lease's dead connection and puts a fresh one in its place.
  Connection& Replace(Lease& lease);

  template <typename F>
  auto Run(Transaction::Options options, F&& fn) {
    Lease lease = Acquire();
    Transaction tx(
        *lease, options, [this, &lease]() -> Connection& { return Replace(lease); }, options_.size);
    if constexpr (std::is_void_v<std::invoke_result_t<F, Transaction&>>) {
      fn(tx);
      tx.Commit();
    } else {
      auto r = fn(tx);
      tx.Commit();
      return r;
    }
  }

  PoolOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<Connection>> idle_;
  int open_ = 0;  // connections in existence (idle + leased + being opened)
  bool closed_ = false;
  std::uint64_t waits_ = 0;
  std::uint64_t timeouts_ = 0;
  std::uint64_t reconnects_ = 0;
};

}  // namespace sloth::db
