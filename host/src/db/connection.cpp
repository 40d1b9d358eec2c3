#include "db/connection.hpp"

#include <atomic>
#include <charconv>
#include <cstring>

#include <spdlog/spdlog.h>

namespace sloth::db {

namespace {

std::atomic<std::uint64_t> round_trips{0};

void CountRoundTrip() {
  round_trips.fetch_add(1, std::memory_order_relaxed);
}

bool IsConnectionState(const std::string& sqlstate) {
  // Class 08 (connection exception) and the shutdown codes the server sends to a session
  // it terminates (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now).
  return sqlstate.rfind("08", 0) == 0 || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

std::string FirstLine(std::string_view s) {
  auto nl = s.find('\n');
  std::string out(s.substr(0, nl));
  if (out.size() > 120) out = out.substr(0, 117) + "...";
  return out;
}

// Server notices ("relation already exists, skipping") belong in the log at debug level,
// not on stderr where libpq prints them by default.
void OnNotice(void*, const char* message) {
  std::string_view m(message);
  while (!m.empty() && m.back() == '\n') m.remove_suffix(1);
  spdlog::debug("postgres: {}", m);
}

}  // namespace

int Result::Column(std::string_view name) const {
  const std::string n(name);
  const int c = PQfnumber(res_.get(), n.c_str());
  if (c < 0) throw std::out_of_range("no column '" + n + "' in result");
  return c;
}

std::string_view Result::View(int row, int col) const {
  return std::string_view(PQgetvalue(res_.get(), row, col),
                          static_cast<std::size_t>(PQgetlength(res_.get(), row, col)));
}

std::optional<std::string> Result::OptText(int row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  return Text(row, col);
}

std::int64_t Result::Int(int row, int col) const {
  const auto v = View(row, col);
  std::int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size()) {
    throw std::invalid_argument("column " + std::to_string(col) + " is not an integer: '" +
                                std::string(v) + "'");
  }
  return out;
}

bool Result::Bool(int row, int col) const {
  const auto v = View(row, col);
  return v == "t" || v == "true";
}

double Result::Double(int row, int col) const {
  return std::stod(Text(row, col));
}

std::int64_t Result::Affected() const {
  const char* n = PQcmdTuples(res_.get());
  return (n && *n) ? std::stoll(n) : 0;
}

std::unique_ptr<Connection> Connection::Open(const std::string& url, int connect_timeout_s,
                                             std::chrono::milliseconds statement_timeout,
                                             bool prepare) {
  // Keywords override what the URL says for the few settings the pool owns.
  const std::string timeout = std::to_string(connect_timeout_s);
  const std::string options = "-c statement_timeout=" + std::to_string(statement_timeout.count());
  const char* keys[] = {"dbname",     "connect_timeout", "options", "application_name",
                        "keepalives", "keepalives_idle", nullptr};
  const char* values[] = {url.c_str(), timeout.c_str(), options.c_str(), "sloth-host", "1",
                          "30",        nullptr};
  PGconn* c = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (c == nullptr) throw ConnectionLost("out of memory creating a PostgreSQL connection");
  if (PQstatus(c) != CONNECTION_OK) {
    std::string msg = "cannot connect to PostgreSQL: " + FirstLine(PQerrorMessage(c));
    PQfinish(c);
    throw ConnectionLost(msg);
  }
  PQsetNoticeProcessor(c, OnNotice, nullptr);
  return std::unique_ptr<Connection>(new Connection(c, prepare));
}

Connection::~Connection() {
  PQfinish(conn_);
}

Param::Param(const std::vector<std::int64_t>& ids) {
  std::string s = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  value_ = s + "}";
}

Param::Param(const std::vector<std::string>& values) {
  // Every element quoted, with " and \ escaped: any text is one element.
  std::string s = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    s += i ? ",\"" : "\"";
    for (const char c : values[i]) {
      if (c == '"' || c == '\\') s += '\\';
      s += c;
    }
    s += '"';
  }
  value_ = s + "}";
}

std::uint64_t Connection::RoundTrips() {
  return round_trips.load(std::memory_order_relaxed);
}

Result Connection::ExecParams(std::string_view sql, const Param* params, std::size_t count,
                              bool binary) {
  std::vector<const char*> values(count);
  for (std::size_t i = 0; i < count; ++i) {
    values[i] = params[i].value() ? params[i].value()->c_str() : nullptr;
  }
  const std::string text(sql);
  const int n = static_cast<int>(count);
  PGresult* r = nullptr;
  if (prepare_) {
    const std::string& name = Prepared(text, n);
    r = PQexecPrepared(conn_, name.c_str(), n, count ? values.data() : nullptr, nullptr, nullptr,
                       binary ? 1 : 0);
  } else {
    r = PQexecParams(conn_, text.c_str(), n, nullptr, count ? values.data() : nullptr, nullptr,
                     nullptr, binary ? 1 : 0);
  }
  CountRoundTrip();
  last_used_ = std::chrono::steady_clock::now();
  const auto st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) Throw(r, sql);
  return Result(r);
}

const std::string& Connection::Prepared(const std::string& sql, int nparams) {
  if (auto it = prepared_.find(sql); it != prepared_.end()) return it->second;
  MakeRoomForPrepared(1);
  std::string name = "sloth_" + std::to_string(++next_statement_);
  PGresult* r = PQprepare(conn_, name.c_str(), sql.c_str(), nparams, nullptr);
  CountRoundTrip();
  if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) Throw(r, sql);
  PQclear(r);
  return prepared_.emplace(sql, std::move(name)).first->second;
}

void Connection::MakeRoomForPrepared(std::size_t more) {
  if (prepared_.size() + more <= kMaxPrepared) return;
  PQclear(PQexec(conn_, "DEALLOCATE ALL"));
  CountRoundTrip();
  prepared_.clear();
}

std::vector<int> Connection::SendPipeline(const std::vector<Statement>& statements) {
  FinishSent();
  if (prepare_) MakeRoomForPrepared(statements.size());
  if (PQenterPipelineMode(conn_) != 1) Broken("cannot enter pipeline mode");
  std::vector<int> expected;
  expected.reserve(statements.size());
  std::vector<const char*> values;
  for (const auto& st : statements) {
    values.assign(st.params.size(), nullptr);
    for (std::size_t i = 0; i < st.params.size(); ++i) {
      if (st.params[i].value()) values[i] = st.params[i].value()->c_str();
    }
    const int n = static_cast<int>(st.params.size());
    const char* const* v = n ? values.data() : nullptr;
    int results = 1;
    int ok = 0;
    if (prepare_) {
      std::string name;
      if (auto it = prepared_.find(st.sql); it != prepared_.end()) {
        name = it->second;
      } else {
        for (const auto& [sql, pending] : preparing_) {
          if (sql == st.sql) name = pending;
        }
        if (name.empty()) {
          name = "sloth_" + std::to_string(++next_statement_);
          if (PQsendPrepare(conn_, name.c_str(), st.sql.c_str(), n, nullptr) != 1)
            Broken("cannot queue a statement");
          preparing_.emplace_back(st.sql, name);
          results = 2;
        }
      }
      ok = PQsendQueryPrepared(conn_, name.c_str(), n, v, nullptr, nullptr, st.binary ? 1 : 0);
    } else {
      ok = PQsendQueryParams(conn_, st.sql.c_str(), n, nullptr, v, nullptr, nullptr,
                             st.binary ? 1 : 0);
    }
    if (ok != 1) Broken("cannot queue a statement");
    expected.push_back(results);
  }
  if (PQpipelineSync(conn_) != 1) Broken("cannot send the pipeline");
  CountRoundTrip();
  last_used_ = std::chrono::steady_clock::now();
  return expected;
}

Connection::PipelineOutcome Connection::ReadPipeline(const std::vector<Statement>& statements,
                                                     const std::vector<int>& expected) {
  std::vector<Result> out(statements.size());
  PGresult* error = nullptr;  // the first failure; the server aborted what followed it
  std::size_t error_at = 0;
  // Each statement yields its results (a Prepare's first) each followed by a NULL; a second
  // NULL in a row means the server sent nothing more, i.e. the connection broke.
  auto next = [&]() -> PGresult* {
    for (int nulls = 0; nulls < 2; ++nulls) {
      if (PGresult* r = PQgetResult(conn_)) return r;
      if (PQstatus(conn_) != CONNECTION_OK) break;
    }
    if (error) PQclear(error);
    Broken("the pipeline's results stopped");
  };
  for (std::size_t i = 0; i < statements.size(); ++i) {
    for (int k = 0; k < expected[i]; ++k) {
      PGresult* r = next();
      const auto st = PQresultStatus(r);
      if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        if (k + 1 == expected[i]) {
          out[i] = Result(r);
        } else {
          PQclear(r);
        }
      } else if (st == PGRES_PIPELINE_ABORTED || error) {
        PQclear(r);
      } else {
        error = r;
        error_at = i;
      }
    }
  }
  PGresult* sync = next();
  const bool synced = PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
  PQclear(sync);
  if (!synced || PQexitPipelineMode(conn_) != 1) {
    if (error) PQclear(error);
    Broken("the pipeline did not end where it should");
  }
  last_used_ = std::chrono::steady_clock::now();
  // Statements prepared in this pipeline exist on the server only if it got that far.
  if (!error) {
    for (auto& [sql, name] : preparing_) prepared_.emplace(std::move(sql), std::move(name));
  }
  preparing_.clear();
  PipelineOutcome outcome;
  if (error) {
    try {
      Throw(error, statements[error_at].sql);
    } catch (const ConnectionLost&) {
      throw;
    } catch (...) {
      outcome.error = std::current_exception();
      outcome.failed_at = error_at;
      out.resize(error_at);
    }
  }
  outcome.results = std::move(out);
  return outcome;
}

void Connection::Broken(const char* what) {
  broken_ = true;
  throw ConnectionLost(std::string("PostgreSQL connection lost: ") + what + ": " +
                       FirstLine(PQerrorMessage(conn_)));
}

Connection::PipelineOutcome Connection::TryPipeline(const std::vector<Statement>& statements) {
  const auto expected = SendPipeline(statements);
  return ReadPipeline(statements, expected);
}

std::vector<Result> Connection::ExecPipeline(const std::vector<Statement>& statements) {
  auto outcome = TryPipeline(statements);
  if (outcome.error) std::rethrow_exception(outcome.error);
  return std::move(outcome.results);
}

void Connection::SendWithoutWaiting(const std::vector<Statement>& statements) {
  unread_expected_ = SendPipeline(statements);
  unread_statements_ = statements;
  unread_ = true;
}

void Connection::FinishSent() {
  if (!unread_) return;
  unread_ = false;
  auto statements = std::move(unread_statements_);
  const auto expected = std::move(unread_expected_);
  auto outcome = ReadPipeline(statements, expected);
  if (!outcome.error) return;
  try {
    std::rethrow_exception(outcome.error);
  } catch (const ConnectionLost&) {
    throw;
  } catch (const Error& e) {
    // Its sender did not wait for the outcome (a read-only transaction's COMMIT, whose reads
    // were answered; a notification after a commit): not the next statement's failure.
    spdlog::warn("db: a statement sent without waiting failed: {}", e.what());
  }
}

void Connection::ExecScript(const std::string& sql) {
  PGresult* r = PQexec(conn_, sql.c_str());
  CountRoundTrip();
  last_used_ = std::chrono::steady_clock::now();
  const auto st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) Throw(r, sql);
  PQclear(r);
}

void Connection::Throw(PGresult* r, std::string_view sql) {
  std::string sqlstate;
  std::string message;
  if (r) {
    if (const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE)) sqlstate = s;
    if (const char* m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)) message = m;
    if (message.empty()) message = PQresultErrorMessage(r);
    PQclear(r);
  }
  if (message.empty()) message = FirstLine(PQerrorMessage(conn_));
  if (PQstatus(conn_) != CONNECTION_OK || IsConnectionState(sqlstate) || (sqlstate.empty() && !r)) {
    throw ConnectionLost("PostgreSQL connection lost: " + FirstLine(message));
  }
  throw Error(message + " [" + sqlstate + "] in: " + FirstLine(sql), sqlstate);
}

bool Connection::Ping() {
  if (!Ok()) return false;
  if (unread_) {
    try {
      FinishSent();
    } catch (const ConnectionLost&) {
      return false;
    }
  }
  PGresult* r = PQexec(conn_, "");
  CountRoundTrip();
  const bool ok = r && PQresultStatus(r) == PGRES_EMPTY_QUERY && PQstatus(conn_) == CONNECTION_OK;
  PQclear(r);
  if (ok) last_used_ = std::chrono::steady_clock::now();
  return ok;
}

bool Connection::InTransaction() const {
  return PQtransactionStatus(conn_) != PQTRANS_IDLE;
}

std::string Connection::EscapeIdentifier(std::string_view ident) const {
  char* e = PQescapeIdentifier(conn_, ident.data(), ident.size());
  if (!e) throw Error("cannot escape identifier", "");
  std::string out(e);
  PQfreemem(e);
  return out;
}

}  // namespace sloth::db
