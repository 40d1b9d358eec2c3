#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <limits>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "db/binary.hpp"
#include "db/listener.hpp"
#include "db/pool.hpp"
#include "support/test_db.hpp"
#include "support/wait.hpp"

namespace sloth::db {
namespace {

PoolOptions Options(const std::string& url, int size) {
  PoolOptions o;
  o.url = url;
  o.size = size;
  o.acquire_timeout = std::chrono::milliseconds(300);
  return o;
}

TEST(PoolTest, ParametersAreNeverSpliced) {
  testing::TestDatabase db;
  Pool pool(Options(db.url(), 2));
  const std::string hostile = "x'); DROP TABLE t; --";
  pool.InTransaction([&](Transaction& tx) {
    tx.Exec("CREATE TABLE t (v text, n bigint, b boolean)");
    tx.Exec("INSERT INTO t VALUES ($1, $2, $3)", hostile, std::int64_t{42}, true);
    tx.Exec("INSERT INTO t VALUES ($1, $2, $3)", nullptr, std::optional<int>{}, false);
  });
  auto r = pool.InTransaction(
      [](Transaction& tx) { return tx.Exec("SELECT v, n, b FROM t ORDER BY n NULLS LAST"); });
  ASSERT_EQ(r.Rows(), 2);
  EXPECT_EQ(r.Text(0, 0), hostile);
  EXPECT_EQ(r.Int(0, 1), 42);
  EXPECT_TRUE(r.Bool(0, 2));
  EXPECT_TRUE(r.IsNull(1, 0));
  EXPECT_EQ(r.OptText(1, 1), std::nullopt);
}

TEST(PoolTest, ExceptionRollsBack) {
  testing::TestDatabase db;
  Pool pool(Options(db.url(), 1));
  pool.InTransaction([](Transaction& tx) { tx.Exec("CREATE TABLE t (v int)"); });
  EXPECT_THROW(pool.InTransaction([](Transaction& tx) {
    tx.Exec("INSERT INTO t VALUES (1)");
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  EXPECT_EQ(pool.InTransaction(
                [](Transaction& tx) { return tx.Exec("SELECT count(*) FROM t").Int(0, 0); }),
            0);
  EXPECT_EQ(pool.Stats().idle, 1);
}

TEST(PoolTest, SqlErrorsCarrySqlstate) {
  testing::TestDatabase db;
  Pool pool(Options(db.url(), 1));
  pool.InTransaction([](Transaction& tx) { tx.Exec("CREATE TABLE t (v int PRIMARY KEY)"); });
  pool.InTransaction([](Transaction& tx) { tx.Exec("INSERT INTO t VALUES (1)"); });
  try {
    pool.InTransaction([](Transaction& tx) { tx.Exec("INSERT INTO t VALUES (1)"); });
    FAIL();
  } catch (const Error& e) {
    EXPECT_TRUE(e.IsUniqueViolation());
  }
}

TEST(PoolTest, WaitsAndTimesOutWhenExhausted) {
  testing::TestDatabase db;
  Pool pool(Options(db.url(), 1));
  {
    Lease held = pool.Acquire();
    EXPECT_EQ(pool.Stats().in_use, 1);
    EXPECT_THROW(pool.Acquire(), PoolTimeout);
  }
  const auto s = pool.Stats();
  EXPECT_EQ(s.waits, 1u);
  EXPECT_EQ(s.timeouts, 1u);
  EXPECT_EQ(s.in_use, 0);
  EXPECT_EQ(s.idle, 1);

  // A waiter is served as soon as the holder returns its connection.
  std::optional<Lease> held(pool.Acquire());
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    held.reset();
  });
  EXPECT_NO_THROW(pool.Acquire());
  release.join();
}

TEST(PoolTest, ManyThreadsShareFewConnections) {
  testing::TestDatabase db;
  auto o = Options(db.url(), 3);
  o.acquire_timeout = std::chrono::milliseconds(10000);
  Pool pool(o);
  pool.InTransaction([](Transaction& tx) { tx.Exec("CREATE TABLE c (n int)"); });
  std::vector<std::thread> threads;
  for (int i = 0; i < 12; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 20; ++j) {
        pool.InTransaction([](Transaction& tx) { tx.Exec("INSERT INTO c VALUES (1)"); });
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(pool.InTransaction(
                [](Transaction& tx) { return tx.Exec("SELECT count(*) FROM c").Int(0, 0); }),
            240);
  EXPECT_LE(pool.Stats().idle, 3);
}

TEST(PoolTest, KilledBackendIsReplacedTransparently) {
  testing::TestDatabase db;
  auto o = Options(db.url(), 1);
  o.health_check_idle = std::chrono::milliseconds(0);
  Pool pool(o);
  const auto pid = pool.InTransaction(
      [](Transaction& tx) { return tx.Exec("SELECT pg_backend_pid()").Int(0, 0); });
  {
    auto admin = Connection::Open(db.url(), 5, std::chrono::milliseconds(0));
    admin->Exec("SELECT pg_terminate_backend($1)", pid);
  }
  const auto pid2 = pool.InTransaction(
      [](Transaction& tx) { return tx.Exec("SELECT pg_backend_pid()").Int(0, 0); });
  EXPECT_NE(pid, pid2);
  EXPECT_GE(pool.Stats().reconnects, 1u);
}

// libpq's protocol trace of one connection: what crossed the wire, counted.
class WireTrace {
 public:
  explicit WireTrace(Pool& pool) : file_(std::tmpfile()) {
    auto lease = pool.Acquire();  // a pool of one: every transaction uses this connection
    conn_ = lease->raw();
    PQtrace(conn_, file_);
  }
  ~WireTrace() {
    PQuntrace(conn_);
    std::fclose(file_);
  }
  // Sync messages sent: each ends a round trip the client may wait on.
  int Syncs() { return Count("F\t4\tSync"); }
  int Executes() { return Count("\tExecute\t"); }
  int ReadyForQuery() { return Count("\tReadyForQuery\t"); }

 private:
  int Count(const std::string& what) {
    std::fflush(file_);
    std::rewind(file_);
    int n = 0;
    char line[4096];
    while (std::fgets(line, sizeof line, file_))
      n += std::string(line).find(what) != std::string::npos;
    std::fseek(file_, 0, SEEK_END);
    return n;
  }
  std::FILE* file_;
  PGconn* conn_;
};

// Creates tenant_<tenant>.t holding `values` (SQL VALUES rows).
void SeedTenantTable(Pool& pool, int tenant, const std::string& values) {
  const std::string schema = "tenant_" + std::to_string(tenant);
  pool.InTransaction([&](Transaction& tx) {
    tx.Exec("CREATE SCHEMA " + schema);
    tx.Exec("CREATE TABLE " + schema + ".t (n bigint)");
    tx.Exec("INSERT INTO " + schema + ".t VALUES " + values);
  });
}

TEST(PoolTest, ATransactionsOpeningTravelsWithItsFirstStatement) {
  testing::TestDatabase db;
  Pool pool(Options(db.url(), 1));
  SeedTenantTable(pool, 5, "(1), (2)");
  WireTrace wire(pool);
  bool checked = false;
  int syncs = -1, executes = -1, answers = -1;
  const auto n = pool.InTenant(TenantId{5}, kReadOnly, [&](Transaction& tx) {
    tx.Precheck("SELECT $1::int", {7}, [&](const Result& r) { checked = r.Int(0, 0) == 7; });
    EXPECT_EQ(wire.Syncs(), 0);  // nothing is sent before the first statement
    const auto count = tx.Exec("SELECT count(*) FROM t").Int(0, 0);  // t: tenant_5's
    syncs = wire.Syncs();
    executes = wire.Executes();
    answers = wire.ReadyForQuery();
    return count;
  });
  EXPECT_EQ(n, 2);
  EXPECT_TRUE(checked);
  // BEGIN READ ONLY, the scope, the check, the query and the COMMIT: one message, one answer.
  EXPECT_EQ(executes, 5);
  EXPECT_EQ(syncs, 1);
  EXPECT_EQ(answers, 1);
  // Nothing more goes out when the transaction ends: its COMMIT went with the query.
  EXPECT_EQ(wire.Syncs(), 1);
  EXPECT_EQ(wire.Executes(), 5);
  EXPECT_EQ(pool.InTransaction([](Transaction& tx) { return tx.Exec("SELECT 5").Int(0, 0); }), 5);
  EXPECT_EQ(wire.ReadyForQuery(), 3);  // the new (read-write) transaction's two
}

TEST(PoolTest, AReadOnlyTransactionsSecondStatementRunsInATransactionOfItsOwn) {
  testing::TestDatabase db;
  Pool pool(Options(db.url(), 1));
  SeedTenantTable(pool, 6, "(1), (2), (3)");
  WireTrace wire(pool);
  int syncs_after_second = -1, syncs_at_end = -1;
  const auto sum = pool.InTenant(TenantId{6}, kReadOnly, [&](Transaction& tx) {
    const auto a = tx.Exec("SELECT count(*) FROM t").Int(0, 0);
    // Still the tenant's scope, and still read-only, though the first transaction committed.
    const auto b = tx.Exec("SELECT sum(n) FROM t").Int(0, 0);
    syncs_after_second = wire.Syncs();
    EXPECT_EQ(tx.Exec("SELECT current_setting('transaction_read_only')").Text(0, 0), "on");
    syncs_at_end = wire.Syncs();
    return a + b;
  });
  EXPECT_EQ(sum, 3 + 6);
  EXPECT_EQ(syncs_after_second, 2);  // one round trip per statement, as before
  // The second transaction's COMMIT is sent without waiting; nothing is left open.
  EXPECT_EQ(wire.Syncs(), syncs_at_end + 1);
  EXPECT_EQ(pool.InTransaction([](Transaction& tx) {
    return tx
        .Exec(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = "
            "current_database() AND state LIKE 'idle in transaction%'")
        .Int(0, 0);
  }),
            0);
}

TEST(PoolTest, AReadOnlyTransactionWhoseFirstStatementFailsLeavesNothingOpen) {
  testing::TestDatabase db;
  Pool pool(Options(db.url(), 1));
  EXPECT_THROW(
      pool.InTransaction(kReadOnly, [](Transaction& tx) { tx.Exec("SELECT * FROM missing"); }),
      Error);
  // The one connection is usable and outside any transaction: BEGIN would otherwise warn and
  // this write would be refused as part of an aborted transaction.
  pool.InTransaction([](Transaction& tx) { tx.Exec("CREATE TABLE t (n bigint)"); });
  EXPECT_EQ(
      pool.InTransaction(
          kReadOnly, [](Transaction& tx) { return tx.Exec("SELECT count(*) FROM t").Int(0, 0); }),
      0);
}

// A statement queued with AtCommit costs no round trip of its own: it and the COMMIT are one
// message and one answer.
TEST(PoolTest, AnAtCommitStatementTravelsWithTheCommit) {
  testing::TestDatabase db;
  Pool pool(Options(db.url(), 1));
  SeedTenantTable(pool, 7, "(1)");
  WireTrace wire(pool);
  int syncs_before_commit = -1;
  pool.InTenant(TenantId{7}, [&](Transaction& tx) {
    tx.Exec("INSERT INTO t VALUES (2)");  // BEGIN, the scope and this: the first round trip
    tx.AtCommit("INSERT INTO t VALUES ($1)", 3);
    syncs_before_commit = wire.Syncs();
  });
  EXPECT_EQ(syncs_before_commit, 1);
  EXPECT_EQ(wire.Syncs(), 2);  // the queued insert and the COMMIT: one more
  EXPECT_EQ(wire.ReadyForQuery(), 2);
  EXPECT_EQ(
      pool.InTenant(TenantId{7}, kReadOnly,
                    [](Transaction& tx) { return tx.Exec("SELECT sum(n) FROM t").Int(0, 0); }),
      1 + 2 + 3);
  // With nothing run before it, the opening goes along too: one round trip in all.
  const int before = wire.Syncs();
  pool.InTenant(TenantId{7}, [](Transaction& tx) { tx.AtCommit("INSERT INTO t VALUES (4)"); });
  EXPECT_EQ(wire.Syncs(), before + 1);
  EXPECT_EQ(pool.InTransaction([](Transaction& tx) {
    return tx.Exec("SELECT count(*) FROM tenant_7.t WHERE n = 4").Int(0, 0);
  }),
            1);
}

Query<std::int64_t> Scalar(std::string sql) {
  return MakeQuery<std::int64_t>([](const Result& r) { return r.Int(0, 0); }, sql);
}

// Independent queries sent Together cost one round trip, in a read-only transaction (where
// the first carries the opening and the COMMIT) and in a read-write one at any point.
TEST(PoolTest, QueriesSentTogetherCostOneRoundTrip) {
  testing::TestDatabase db;
  Pool pool(Options(db.url(), 1));
  SeedTenantTable(pool, 8, "(1), (2), (3)");
  WireTrace wire(pool);
  int syncs = -1;
  const auto [count, sum, scope] = pool.InTenant(TenantId{8}, kReadOnly, [&](Transaction& tx) {
    auto r = tx.Together(Scalar("SELECT count(*) FROM t"), Scalar("SELECT sum(n) FROM t"),
                         MakeQuery<std::string>([](const Result& res) { return res.Text(0, 0); },
                                                "SELECT current_setting('search_path')"));
    syncs = wire.Syncs();
    return r;
  });
  EXPECT_EQ(count, 3);
  EXPECT_EQ(sum, 6);
  EXPECT_EQ(scope, "tenant_8, public");
  EXPECT_EQ(syncs, 1);
  EXPECT_EQ(wire.Syncs(), 1);  // the COMMIT went with them
  EXPECT_EQ(wire.Executes(), 6);

  int before = -1, after = -1;
  pool.InTenant(TenantId{8}, [&](Transaction& tx) {
    tx.Exec("INSERT INTO t VALUES (4)");
    before = wire.Syncs();
    const auto [n, m] = tx.Together(Scalar("SELECT count(*) FROM t"),
                                    Scalar("WITH a AS (INSERT INTO t VALUES (5) RETURNING n) "
                                           "SELECT n FROM a"));
    after = wire.Syncs();
    EXPECT_EQ(n, 4);  // the insert before them, in the same transaction
    EXPECT_EQ(m, 5);
    EXPECT_EQ(tx.Exec(Scalar("SELECT count(*) FROM t")), 5);
  });
  EXPECT_EQ(after, before + 1);

  // A query sent with the COMMIT: no round trip of its own, what it read handed over after.
  std::int64_t seen = -1, seen_before_commit = -1;
  before = wire.Syncs();
  pool.InTenant(TenantId{8}, [&](Transaction& tx) {
    tx.Exec("INSERT INTO t VALUES (6)");
    tx.AtCommit(Scalar("SELECT sum(n) FROM t"), [&](std::int64_t v) { seen = v; });
    seen_before_commit = seen;
  });
  EXPECT_EQ(seen_before_commit, -1);
  EXPECT_EQ(seen, 1 + 2 + 3 + 4 + 5 + 6);  // the insert before it, in its transaction
  EXPECT_EQ(wire.Syncs(), before + 2);
}

// When one of them fails, its error is thrown, the ones after it do not run and nothing of
// the transaction commits.
TEST(PoolTest, AFailingQueryAmongThoseSentTogetherRefusesTheTransaction) {
  testing::TestDatabase db;
  Pool pool(Options(db.url(), 1));
  SeedTenantTable(pool, 9, "(1)");
  try {
    pool.InTenant(TenantId{9}, [&](Transaction& tx) {
      tx.Together(Scalar("WITH a AS (INSERT INTO t VALUES (2) RETURNING n) SELECT n FROM a"),
                  Scalar("SELECT 1 / 0"),
                  Scalar("WITH a AS (INSERT INTO t VALUES (3) RETURNING n) SELECT n FROM a"));
      ADD_FAILURE() << "the failing query's error was not thrown";
    });
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), "22012") << e.what();
  }
  EXPECT_EQ(pool.InTenant(TenantId{9}, kReadOnly,
                          [](Transaction& tx) { return tx.Exec(Scalar("SELECT sum(n) FROM t")); }),
            1);
}

// A queued statement that fails refuses the whole transaction: nothing of it commits, Commit
// throws the statement's error, and the connection is left outside any transaction.
TEST(PoolTest, AFailingAtCommitStatementCommitsNothing) {
  testing::TestDatabase db;
  Pool pool(Options(db.url(), 1));
  pool.InTransaction([](Transaction& tx) { tx.Exec("CREATE TABLE t (n bigint)"); });
  auto backend = [&] {
    return pool.InTransaction(
        [](Transaction& tx) { return tx.Exec("SELECT pg_backend_pid()").Int(0, 0); });
  };
  const auto pid = backend();
  for (const bool ran_before : {true, false}) {
    try {
      pool.InTransaction([&](Transaction& tx) {
        if (ran_before) tx.Exec("INSERT INTO t VALUES (1)");
        tx.AtCommit("SELECT 1 / $1::int", 0);
        tx.AtCommit("INSERT INTO t VALUES (2)");
      });
      ADD_FAILURE() << "the refusing statement did not reach Commit's caller";
    } catch (const Error& e) {
      EXPECT_EQ(e.sqlstate(), "22012") << e.what();  // division_by_zero
    }
    // Rolled back and reused: a connection left in a transaction would have been closed.
    EXPECT_EQ(backend(), pid);
  }
  EXPECT_EQ(pool.InTransaction(
                [](Transaction& tx) { return tx.Exec("SELECT count(*) FROM t").Int(0, 0); }),
            0);
  EXPECT_THROW(pool.InTransaction(kReadOnly, [](Transaction& tx) { tx.AtCommit("SELECT 1"); }),
               std::logic_error);
}

// AfterCommit work runs once the transaction has committed — on the same connection, outside
// any transaction, after the readers of AtCommit results — once per key, never for a
// rollback; its failure leaves the commit standing.
TEST(PoolTest, AfterCommitWorkRunsOnceCommittedAndNeverForARollback) {
  testing::TestDatabase db;
  Pool pool(Options(db.url(), 1));
  pool.InTransaction([](Transaction& tx) { tx.Exec("CREATE TABLE t (n bigint)"); });
  std::vector<std::string> ran;
  pool.InTransaction([&](Transaction& tx) {
    tx.Exec("INSERT INTO t VALUES (1)");
    tx.AtCommit(MakeQuery<std::string>([](const Result& r) { return r.Text(0, 0); },
                                       "INSERT INTO t VALUES ($1) RETURNING n", 2),
                [&](std::string n) {
                  ran.push_back("read " + n);
                  // Queued by a reader: still runs, after it.
                  tx.AfterCommit("from the reader",
                                 [&](Connection&) { ran.push_back("queued late"); });
                });
    tx.AfterCommit("count", [&](Connection& c) {
      ran.push_back("in a transaction: " + std::string(c.InTransaction() ? "yes" : "no"));
      ran.push_back("rows " + c.Exec("SELECT count(*) FROM t").Text(0, 0));
    });
    tx.AfterCommit("count", [&](Connection&) { ran.push_back("the same key again"); });
    ran.push_back("body done");
  });
  EXPECT_EQ(ran, (std::vector<std::string>{"body done", "read 2", "in a transaction: no", "rows 2",
                                           "queued late"}));

  ran.clear();
  EXPECT_THROW(pool.InTransaction([&](Transaction& tx) {
    tx.Exec("INSERT INTO t VALUES (3)");
    tx.AtCommit(MakeQuery<int>([](const Result&) { return 1; }, "SELECT 1"),
                [&](int) { ran.push_back("read"); });
    tx.AfterCommit("k", [&](Connection&) { ran.push_back("after"); });
    throw std::runtime_error("rolled back");
  }),
               std::runtime_error);
  EXPECT_TRUE(ran.empty());

  pool.InTransaction([&](Transaction& tx) {
    tx.AtCommit("INSERT INTO t VALUES (4)");
    tx.AfterCommit("fails", [](Connection& c) { c.Exec("SELECT 1 / 0"); });
    tx.AfterCommit("runs anyway", [&](Connection&) { ran.push_back("after a failed one"); });
  });
  EXPECT_EQ(ran, std::vector<std::string>{"after a failed one"});
  EXPECT_EQ(pool.InTransaction([](Transaction& tx) {
    return tx.Exec("SELECT string_agg(n::text, ',' ORDER BY n) FROM t").Text(0, 0);
  }),
            "1,2,4");
  EXPECT_THROW(pool.InTransaction(kReadOnly,
                                  [](Transaction& tx) { tx.AfterCommit("k", [](Connection&) {}); }),
               std::logic_error);
}

TEST(PoolTest, AReadOnlyTransactionRefusesWrites) {
  testing::TestDatabase db;
  Pool pool(Options(db.url(), 1));
  pool.InTransaction([](Transaction& tx) { tx.Exec("CREATE TABLE t (n bigint)"); });
  try {
    pool.InTransaction(kReadOnly, [](Transaction& tx) { tx.Exec("INSERT INTO t VALUES (1)"); });
    ADD_FAILURE() << "a write ran in a read-only transaction";
  } catch (const Error& e) {
    EXPECT_EQ(e.sqlstate(), "25006");  // read_only_sql_transaction
  }
  EXPECT_EQ(pool.InTransaction(
                [](Transaction& tx) { return tx.Exec("SELECT count(*) FROM t").Int(0, 0); }),
            0);
}

TEST(PoolTest, AFailedPrecheckRefusesTheWorkEvenWhenItsFirstStatementFails) {
  testing::TestDatabase db;
  Pool pool(Options(db.url(), 1));
  pool.InTransaction([](Transaction& tx) { tx.Exec("CREATE TABLE t (n bigint UNIQUE)"); });
  auto refuse = [](const Result& r) {
    if (!r.Bool(0, 0)) throw std::runtime_error("refused");
  };
  auto count = [&] {
    return pool.InTransaction(
        [](Transaction& tx) { return tx.Exec("SELECT count(*) FROM t").Int(0, 0); });
  };
  // The check fails: the write that went with it is rolled back.
  EXPECT_THROW(pool.InTransaction([&](Transaction& tx) {
    tx.Precheck("SELECT false", {}, refuse);
    tx.Exec("INSERT INTO t VALUES (1)");
    ADD_FAILURE() << "the statement's result reached the caller";
  }),
               std::runtime_error);
  EXPECT_EQ(count(), 0);
  // The check fails and the statement fails too: the refusal is what the caller sees.
  pool.InTransaction([](Transaction& tx) { tx.Exec("INSERT INTO t VALUES (1)"); });
  try {
    pool.InTransaction([&](Transaction& tx) {
      tx.Precheck("SELECT false", {}, refuse);
      tx.Exec("INSERT INTO t VALUES (1)");  // a unique violation
    });
    ADD_FAILURE() << "nothing thrown";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "refused");
  }
  // The check passes and the statement fails: its error, with its SQLSTATE.
  try {
    pool.InTransaction([&](Transaction& tx) {
      tx.Precheck("SELECT true", {}, refuse);
      tx.Exec("INSERT INTO t VALUES (1)");
    });
    ADD_FAILURE() << "nothing thrown";
  } catch (const Error& e) {
    EXPECT_TRUE(e.IsUniqueViolation()) << e.what();
  }
  EXPECT_EQ(count(), 1);
  // A transaction without statements still runs its checks (and commits nothing).
  EXPECT_THROW(
      pool.InTransaction([&](Transaction& tx) { tx.Precheck("SELECT false", {}, refuse); }),
      std::runtime_error);
}

TEST(PoolTest, AConnectionFoundDeadByTheFirstStatementIsReplaced) {
  testing::TestDatabase db;
  auto o = Options(db.url(), 1);
  o.health_check_idle = std::chrono::hours(1);  // no ping: the pipeline finds it dead
  Pool pool(o);
  const auto pid = pool.InTransaction(
      [](Transaction& tx) { return tx.Exec("SELECT pg_backend_pid()").Int(0, 0); });
  {
    auto admin = Connection::Open(db.url(), 5, std::chrono::milliseconds(0));
    admin->Exec("SELECT pg_terminate_backend($1)", pid);
    admin->Exec("SELECT 1 FROM pg_stat_activity WHERE pid = $1", pid);
  }
  testing::WaitUntil(
      [&] {
        auto admin = Connection::Open(db.url(), 5, std::chrono::milliseconds(0));
        return admin->Exec("SELECT 1 FROM pg_stat_activity WHERE pid = $1", pid).Empty();
      },
      std::chrono::seconds(10));
  const auto pid2 = pool.InTenant(
      TenantId{1}, [](Transaction& tx) { return tx.Exec("SELECT pg_backend_pid()").Int(0, 0); });
  EXPECT_NE(pid, pid2);
  EXPECT_GE(pool.Stats().reconnects, 1u);
}

// Binary results as PostgreSQL sends them, read back by db/binary.hpp: first in a
// transaction's opening pipeline, then as a plain statement, prepared or not.
TEST(PoolTest, BinaryResultsReadBackWhatTheServerHolds) {
  testing::TestDatabase db;
  for (const bool prepared : {true, false}) {
    auto o = Options(db.url(), 1);
    o.prepared_statements = prepared;
    Pool pool(o);
    pool.InTransaction(kReadOnly, [](Transaction& tx) {
      const char* sql =
          "SELECT $1::bigint, ARRAY[1.5, -2, 3e-5, 'Infinity']::real[], ARRAY[1, NULL]::real[], "
          "'{}'::real[], '{{1,2},{3,4}}'::real[], ARRAY[1, 2]::float8[]";
      for (int run = 0; run < 2; ++run) {  // the opening pipeline, then a statement alone
        const auto r = tx.ExecBinary(sql, std::int64_t{-5000000000});
        EXPECT_EQ(binary::Int8(r.View(0, 0)), -5000000000);
        std::vector<float> v;
        ASSERT_TRUE(binary::Float4Array(r.View(0, 1), v));
        EXPECT_EQ(v,
                  (std::vector<float>{1.5f, -2.0f, 3e-5f, std::numeric_limits<float>::infinity()}));
        EXPECT_FALSE(binary::Float4Array(r.View(0, 2), v));  // a NULL element
        EXPECT_TRUE(binary::Float4Array(r.View(0, 3), v));
        EXPECT_TRUE(v.empty());
        EXPECT_FALSE(binary::Float4Array(r.View(0, 4), v));                // two dimensions
        EXPECT_FALSE(binary::Float4Array(r.View(0, 5), v));                // double precision
        EXPECT_FALSE(binary::Float4Array(r.View(0, 1).substr(0, 27), v));  // cut short
        EXPECT_THROW(binary::Int8(r.View(0, 0).substr(1)), Error);
      }
    });
  }
}

TEST(ListenerTest, DeliversNotificationsCommittedByOthers) {
  testing::TestDatabase db;
  Pool pool(Options(db.url(), 1));
  Listener listener(db.url(), 5);
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> got;
  listener.Subscribe("jobs", [&](const std::string&, const std::string& payload) {
    std::lock_guard<std::mutex> lock(mu);
    if (!payload.empty()) got.push_back(payload);
    cv.notify_all();
  });
  listener.Start();
  for (int i = 0; i < 100 && !listener.Connected(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_TRUE(listener.Connected());
  // Rolled back: never delivered. Committed: delivered once.
  try {
    pool.InTransaction([](Transaction& tx) {
      Notify(tx, "jobs", "lost");
      throw std::runtime_error("rollback");
    });
  } catch (const std::runtime_error&) {
  }
  // The same notification twice in a transaction goes once; another one goes too.
  pool.InTransaction([](Transaction& tx) {
    Notify(tx, "jobs", "hello");
    Notify(tx, "jobs", "hello");
    Notify(tx, "jobs", "again");
  });
  // Delivered in commit order: once "last" is in, nothing sent before it is still on its way.
  pool.InTransaction([](Transaction& tx) { Notify(tx, "jobs", "last"); });
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5),
                          [&] { return !got.empty() && got.back() == "last"; }));
  EXPECT_EQ(got, (std::vector<std::string>{"hello", "again", "last"}));
  lock.unlock();
  listener.Stop();
}

TEST(ListenerTest, ResubscribesAfterItsConnectionIsKilled) {
  testing::TestDatabase db;
  Pool pool(Options(db.url(), 1));
  Listener listener(db.url(), 5);
  std::mutex mu;
  std::condition_variable cv;
  int wakeups = 0;
  std::vector<std::string> got;
  listener.Subscribe("ch", [&](const std::string&, const std::string& payload) {
    std::lock_guard<std::mutex> lock(mu);
    if (payload.empty()) {
      ++wakeups;
    } else {
      got.push_back(payload);
    }
    cv.notify_all();
  });
  listener.Start();
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return wakeups == 1; }));
  }
  pool.InTransaction([](Transaction& tx) {
    tx.Exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' "
        "AND pid <> pg_backend_pid() AND datname = current_database()");  // only this test's
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return wakeups == 2; }));
  }
  pool.InTransaction([](Transaction& tx) { Notify(tx, "ch", "after"); });
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return !got.empty(); }));
  EXPECT_EQ(got.front(), "after");
}

}  // namespace
}  // namespace sloth::db
