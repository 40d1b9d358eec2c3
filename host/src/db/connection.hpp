#pragma once

// A thin RAII layer over libpq. Every statement is sent with PQexecParams (text parameters,
// never spliced into SQL); only migration files go through the simple-query protocol.

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <libpq-fe.h>

namespace sloth::db {

class Error : public std::runtime_error {
 public:
  Error(const std::string& what, std::string sqlstate)
      : std::runtime_error(what), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }
  bool IsUniqueViolation() const { return sqlstate_ == "23505"; }
  bool IsExclusionViolation() const { return sqlstate_ == "23P01"; }
  bool IsSerializationFailure() const { return sqlstate_ == "40001" || sqlstate_ == "40P01"; }

 private:
  std::string sqlstate_;
};

// The connection is gone (server restart, network): the statement may be retried on a
// fresh connection when nothing of the transaction had been done yet.
class ConnectionLost : public Error {
 public:
  explicit ConnectionLost(const std::string& what) : Error(what, "08006") {}
};

// A single bound parameter: text form or SQL NULL.
class Param {
 public:
  Param(std::nullptr_t) {}                               // NOLINT: implicit by design
  Param(std::nullopt_t) {}                               // NOLINT
  Param(const std::string& s) : value_(s) {}             // NOLINT
  Param(std::string&& s) : value_(std::move(s)) {}       // NOLINT
  Param(std::string_view s) : value_(std::string(s)) {}  // NOLINT
  Param(const char* s) : value_(s ? std::optional<std::string>(s) : std::nullopt) {}  // NOLINT
  Param(bool b) : value_(b ? "t" : "f") {}                                            // NOLINT
  template <typename T,
            typename = std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool>>>
  Param(T v) : value_(std::to_string(v)) {}  // NOLINT
  template <typename T>
  Param(const std::optional<T>& v) {  // NOLINT
    if (v) value_ = Param(*v).value_;
  }
  // Arrays in PostgreSQL's text form, for `= ANY ($1::bigint[])` / `$1::text[]`.
  Param(const std::vector<std::int64_t>& ids);    // NOLINT
  Param(const std::vector<std::string>& values);  // NOLINT

  const std::optional<std::string>& value() const { return value_; }

 private:
  std::optional<std::string> value_;
};

class Row;

// One statement with its parameters, for a pipeline.
struct Statement {
  std::string sql;
  std::vector<Param> params;
  // Results in PostgreSQL's binary format (db/binary.hpp reads them): for bulk reads whose
  // text costs more than the data (384 floats: ~30 µs to print as text, ~10 to parse).
  bool binary = false;
};

class Result {
 public:
  Result() = default;
  explicit Result(PGresult* r) : res_(r, &PQclear) {}

  int Rows() const { return res_ ? PQntuples(res_.get()) : 0; }
  int Columns() const { return res_ ? PQnfields(res_.get()) : 0; }
  bool Empty() const { return Rows() == 0; }
  bool IsNull(int row, int col) const { return PQgetisnull(res_.get(), row, col) != 0; }
  // Column index by name; throws std::out_of_range when absent.
  int Column(std::string_view name) const;
  std::string_view View(int row, int col) const;
  std::string Text(int row, int col) const { return std::string(View(row, col)); }
  std::optional<std::string> OptText(int row, int col) const;
  std::int64_t Int(int row, int col) const;
  bool Bool(int row, int col) const;
  double Double(int row, int col) const;
  // Rows touched by INSERT/UPDATE/DELETE.
  std::int64_t Affected() const;
  // Row `row`, read by column name (repositories use it for rows of more than two columns,
  // so a statement's column order can change without breaking its reader).
  Row At(int row) const;

 private:
  std::shared_ptr<PGresult> res_;
};

class Row {
 public:
  Row(const Result& result, int row) : r_(result), row_(row) {}
  bool IsNull(std::string_view col) const { return r_.IsNull(row_, r_.Column(col)); }
  std::string Text(std::string_view col) const { return r_.Text(row_, r_.Column(col)); }
  std::optional<std::string> OptText(std::string_view col) const {
    return r_.OptText(row_, r_.Column(col));
  }
  std::int64_t Int(std::string_view col) const { return r_.Int(row_, r_.Column(col)); }
  bool Bool(std::string_view col) const { return r_.Bool(row_, r_.Column(col)); }
  double Double(std::string_view col) const { return r_.Double(row_, r_.Column(col)); }

 private:
  const Result& r_;  // outlives the row: rows are read while their result is in scope
  int row_;
};

inline Row Result::At(int row) const {
  return Row(*this, row);
}

class Connection {
 public:
  // Connects to `url`; throws ConnectionLost when the server is unreachable.
  // `prepare`: keep each distinct statement prepared on this connection (parse and plan
  // once). Turn off behind PgBouncer in transaction mode before 1.21, which cannot track
  // prepared statements.
  static std::unique_ptr<Connection> Open(const std::string& url, int connect_timeout_s,
                                          std::chrono::milliseconds statement_timeout,
                                          bool prepare = false);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  template <typename... Args>
  Result Exec(std::string_view sql, const Args&... args) {
    const Param params[] = {Param(args)..., Param(nullptr)};
    return ExecParams(sql, params, sizeof...(Args));
  }
  // Same, results in binary format (Statement::binary).
  template <typename... Args>
  Result ExecBinary(std::string_view sql, const Args&... args) {
    const Param params[] = {Param(args)..., Param(nullptr)};
    return ExecParams(sql, params, sizeof...(Args), true);
  }
  Result ExecParams(std::string_view sql, const Param* params, std::size_t count,
                    bool binary = false);
  // Runs a script of several statements (migrations). No parameters.
  void ExecScript(const std::string& sql);

  // Sends the statements in one round trip (libpq pipeline mode, ending in one Sync) and
  // returns their results in order. When one fails the server skips the rest; its error is
  // thrown once every result has been read, so the connection stays usable.
  std::vector<Result> ExecPipeline(const std::vector<Statement>& statements);
  // The same, the error returned rather than thrown, with the results before it (a lost
  // connection is still thrown).
  struct PipelineOutcome {
    std::vector<Result> results;
    std::exception_ptr error;
    std::size_t failed_at = SIZE_MAX;  // the index of the statement that failed
  };
  PipelineOutcome TryPipeline(const std::vector<Statement>& statements);
  // Sends the statements and a Sync without waiting for their results, which the next use
  // of the connection reads first (FinishSent). For work whose outcome the caller does not
  // wait on: the COMMIT of a read-only transaction.
  void SendWithoutWaiting(const std::vector<Statement>& statements);
  bool HasUnreadResults() const { return unread_; }
  // Reads what SendWithoutWaiting sent. Its failure is logged, not thrown (nobody waited on
  // it); a lost connection is thrown (ConnectionLost).
  void FinishSent();

  // Requests this process sent PostgreSQL that it answers (a statement, or a pipeline ending
  // in one Sync), over every connection: what a change of round trips is measured by.
  static std::uint64_t RoundTrips();

  bool Ok() const { return !broken_ && PQstatus(conn_) == CONNECTION_OK; }
  // True when the server answers a trivial round trip.
  bool Ping();
  bool InTransaction() const;
  std::string EscapeIdentifier(std::string_view ident) const;
  PGconn* raw() { return conn_; }

  std::chrono::steady_clock::time_point last_used() const { return last_used_; }

 private:
  explicit Connection(PGconn* c, bool prepare) : conn_(c), prepare_(prepare) {}
  [[noreturn]] void Throw(PGresult* r, std::string_view sql);
  // Marks the connection unusable and throws ConnectionLost.
  [[noreturn]] void Broken(const char* what);
  // The prepared statement's name for `sql`, preparing it on first use.
  const std::string& Prepared(const std::string& sql, int nparams);
  // Bounded: statements are the program's own constant strings, but a caller could build
  // many distinct texts. Forgets them all when `more` would pass the bound.
  void MakeRoomForPrepared(std::size_t more);
  // Queues the statements and a Sync in pipeline mode; returns how many results precede the
  // Sync for each statement (2 when it is prepared in the same pipeline).
  std::vector<int> SendPipeline(const std::vector<Statement>& statements);
  // Reads one pipeline's results, to its Sync.
  PipelineOutcome ReadPipeline(const std::vector<Statement>& statements,
                               const std::vector<int>& expected);
  PGconn* conn_;
  bool prepare_;
  std::unordered_map<std::string, std::string> prepared_;
  // Statements prepared in a pipeline not yet read: they count only once their Sync is.
  std::vector<std::pair<std::string, std::string>> preparing_;
  static constexpr std::size_t kMaxPrepared = 512;
  std::uint64_t next_statement_ = 0;
  bool broken_ = false;  // a pipeline was left half read: the connection is not reused
  bool unread_ = false;  // a pipeline sent without waiting, not yet read
  std::vector<Statement> unread_statements_;
  std::vector<int> unread_expected_;
  std::chrono::steady_clock::time_point last_used_ = std::chrono::steady_clock::now();
};

}  // namespace sloth::db
