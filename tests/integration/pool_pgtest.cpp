#include <atomic>
#include <condition_variable>
#include <thread>

#include <gtest/gtest.h>

#include "db/listener.hpp"
#include "db/pool.hpp"
#include "support/test_db.hpp"

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
  pool.InTransaction([](Transaction& tx) { Notify(tx, "jobs", "hello"); });
  std::unique_lock<std::mutex> lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(5), [&] { return !got.empty(); }));
  EXPECT_EQ(got, std::vector<std::string>{"hello"});
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
