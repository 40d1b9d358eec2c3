// The job queue and scheduler against a real database.

#include <signal.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "db/listener.hpp"
#include "db/migrations.hpp"
#include "jobs/scheduler.hpp"
#include "jobs/worker_pool.hpp"
#include "metrics/metrics.hpp"
#include "support/host_process.hpp"
#include "support/test_db.hpp"
#include "support/wait.hpp"

namespace sloth::jobs {
namespace {

class JobsTest : public ::testing::Test {
 protected:
  JobsTest() {
    db::PoolOptions o;
    o.url = db_.url();
    o.size = 12;
    pool_ = std::make_unique<db::Pool>(o);
    db::Migrator(*pool_, db::BuiltinMigrations()).MigratePublic();
    Exec("CREATE TABLE test_effects (job_id bigint NOT NULL, worker text NOT NULL)");
  }
  std::int64_t Scalar(const std::string& sql) {
    return pool_->InTransaction([&](db::Transaction& tx) { return tx.Exec(sql).Int(0, 0); });
  }
  void Exec(const std::string& sql) {
    pool_->InTransaction([&](db::Transaction& tx) { tx.Exec(sql); });
  }
  // Vacuums of public.jobs so far other than autovacuum's, by PostgreSQL's statistics.
  std::int64_t Vacuums() {
    return Scalar(
        "SELECT vacuum_count FROM pg_stat_user_tables WHERE relid = 'public.jobs'::regclass");
  }
  std::optional<std::int64_t> Add(const std::string& kind, EnqueueOptions o = {}) {
    return pool_->InTransaction([&](db::Transaction& tx) {
      return Enqueue(tx, kind, {{"n", 1}}, o);
    });
  }
  WorkerOptions Options(const std::string& queue = "default", int concurrency = 1) {
    WorkerOptions o;
    o.queues = {{queue, concurrency}};
    o.backoff_base = std::chrono::seconds(0);
    o.poll = std::chrono::milliseconds(200);
    return o;
  }

  testing::TestDatabase db_;
  std::unique_ptr<db::Pool> pool_;
};

TEST_F(JobsTest, EnqueueFollowsTheCallersTransactionAndDeduplicates) {
  EXPECT_THROW(pool_->InTransaction([&](db::Transaction& tx) {
    Enqueue(tx, "k", {});
    throw std::runtime_error("rolled back");
  }),
               std::runtime_error);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs"), 0);
  EnqueueOptions o;
  o.unique_key = "once";
  EXPECT_TRUE(Add("k", o));
  EXPECT_FALSE(Add("k", o));
  o.queue = "other";
  EXPECT_TRUE(Add("k", o));  // keys are per queue
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs"), 2);
}

// A job added at commit exists once the transaction committed, not before, and never when it
// rolled back; a worker then runs it.
TEST_F(JobsTest, AJobAddedAtCommitExistsExactlyWhenTheTransactionCommitted) {
  EXPECT_THROW(pool_->InTransaction([&](db::Transaction& tx) {
    EnqueueAtCommit(tx, "k", {{"n", 1}});
    throw std::runtime_error("rolled back");
  }),
               std::runtime_error);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs"), 0);
  const auto seen_inside = pool_->InTransaction([&](db::Transaction& tx) {
    EnqueueAtCommit(tx, "k", {{"n", 2}});
    return tx.Exec("SELECT count(*) FROM public.jobs").Int(0, 0);
  });
  EXPECT_EQ(seen_inside, 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs WHERE payload = '{\"n\": 2}'"), 1);
  WorkerPool w(*pool_, "", Options(), nullptr);
  std::atomic<int> runs{0};
  w.Register("k", [&](JobContext&) { ++runs; });
  EXPECT_EQ(w.Drain("default"), 1);
  EXPECT_EQ(runs, 1);
}

// A staged job calls its provider with no pooled connection held, and what it records
// commits with its completion: a failure after the call records nothing, the retry does.
TEST_F(JobsTest, StagedJobsHoldNoConnectionWhileTheProviderIsCalled) {
  auto options = Options();
  options.backoff_base = std::chrono::seconds(3600);  // the retry waits until made due below
  WorkerPool w(*pool_, "", options, nullptr);
  std::atomic<int> calls{0}, in_use_during_call{-1}, fail_first{1};
  w.RegisterStaged("provider", [&](StagedJobContext& ctx) {
    const auto before = ctx.Read([&](db::Transaction& tx) {
      return tx.Exec("SELECT count(*) FROM test_effects").Int(0, 0);
    });
    ++calls;
    in_use_during_call = pool_->Stats().in_use;  // the "provider call"
    ctx.Finish([&](db::Transaction& tx) {
      tx.Exec("INSERT INTO test_effects (job_id, worker) VALUES ($1, $2)", ctx.job.id,
              std::to_string(before));
      if (fail_first.exchange(0)) throw std::runtime_error("the recording failed");
    });
  });
  ASSERT_TRUE(Add("provider"));
  EXPECT_EQ(w.Drain("default"), 1);  // the recording failed: nothing kept, the job queued again
  EXPECT_EQ(Scalar("SELECT count(*) FROM test_effects"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs WHERE state = 'queued'"), 1);
  Exec("UPDATE public.jobs SET run_at = now()");
  EXPECT_EQ(w.Drain("default"), 1);
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(in_use_during_call.load(), 0);  // Drain's own claim connection is back too
  EXPECT_EQ(Scalar("SELECT count(*) FROM test_effects"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs"), 0);  // completed with the effect
}

// A delayed job (a burst window, a provider's retry_after) runs at its due time, not at
// the next poll: the enqueue notifies the workers, which sleep until it is due.
TEST_F(JobsTest, ADelayedJobWakesAWorkerAtItsDueTime) {
  auto options = Options();
  options.poll = std::chrono::seconds(60);  // a poll would come far too late
  WorkerPool w(*pool_, db_.url(), options, nullptr);
  std::mutex mu;
  std::condition_variable cv;
  bool ran = false;
  w.Register("later", [&](JobContext& ctx) {
    ctx.tx.Exec("INSERT INTO test_effects VALUES ($1, 'w')", ctx.job.id);
    std::lock_guard lock(mu);
    ran = true;
    cv.notify_all();
  });
  w.Start();
  EnqueueOptions o;
  o.delay = std::chrono::milliseconds(400);
  ASSERT_TRUE(Add("later", o));
  {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(20), [&] { return ran; });
  }
  w.Stop();  // the job in progress finishes: its effect and completion commit
  EXPECT_EQ(Scalar("SELECT count(*) FROM test_effects"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs"), 0);
}

// Idle workers sleep until the earliest queued job is due, or a poll when none is queued: an
// empty queue once answered 0 ms, and every idle worker asked a thousand times a second. The
// claim itself says when, whether it found a job or not, and never counts the job it took.
TEST_F(JobsTest, AClaimSaysWhenTheNextOtherJobIsDueAndNothingForAnEmptyQueue) {
  JobStore store;
  auto claim = [&](const std::string& queue = "default") {
    return store.Claim(*pool_->Acquire(), queue, "w", std::chrono::seconds(60));
  };
  auto empty = claim();
  EXPECT_FALSE(empty.job.has_value());
  EXPECT_EQ(empty.next_due, std::nullopt);
  EnqueueOptions later;
  later.delay = std::chrono::seconds(600);
  ASSERT_TRUE(Add("later", later));
  const auto waiting = claim();
  EXPECT_FALSE(waiting.job.has_value());  // not due yet
  ASSERT_TRUE(waiting.next_due.has_value());
  EXPECT_GT(*waiting.next_due, std::chrono::seconds(500));
  EXPECT_LE(*waiting.next_due, std::chrono::seconds(600));
  ASSERT_TRUE(Add("now"));
  ASSERT_TRUE(Add("now"));
  const auto first = claim();
  ASSERT_TRUE(first.job.has_value());
  EXPECT_EQ(first.job->kind, "now");
  ASSERT_TRUE(first.next_due.has_value());
  EXPECT_LE(first.next_due->count(), 0);  // the second is due as well
  const auto second = claim();
  ASSERT_TRUE(second.job.has_value());
  EXPECT_NE(second.job->id, first.job->id);
  ASSERT_TRUE(second.next_due.has_value());
  EXPECT_GT(*second.next_due, std::chrono::seconds(500));  // only the delayed one is left
  EXPECT_EQ(claim("other").next_due, std::nullopt);
}

// A notification wakes one idle worker, not every one: all woken claim, and all but one used
// to find nothing (seven empty claims per job with eight idle workers, on every host). The
// claims are counted where the workers make them.
TEST_F(JobsTest, ANotificationWakesOneIdleWorkerAndADelayedJobOne) {
  auto options = Options("default", 8);
  options.poll = std::chrono::seconds(60);  // no claim from a poll within the test
  metrics::Registry metrics;
  WorkerPool w(*pool_, db_.url(), options, &metrics);
  std::atomic<int> ran{0};
  w.Register("ping", [&](JobContext&) { ++ran; });
  auto claims = [&](const char* found) {
    return metrics.CounterValue("sloth_jobs_claims_total",
                                {{"queue", "default"}, {"found", found}});
  };
  const std::string listening =
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query "
      "ILIKE 'LISTEN%' AND state = 'idle'";
  w.Start();
  // Each worker claims once as it starts, then waits; the listener, once connected, wakes
  // one for what it may have missed meanwhile: nine claims, then quiet.
  ASSERT_TRUE(testing::WaitUntil([&] { return claims("none") == 9 && Scalar(listening) == 1; },
                                 std::chrono::seconds(10)))
      << claims("none");
  constexpr int kJobs = 10;
  for (int i = 1; i <= kJobs; ++i) {
    ASSERT_TRUE(Add("ping"));
    ASSERT_TRUE(testing::WaitUntil([&] { return ran == i; }, std::chrono::seconds(20)));
  }
  EXPECT_TRUE(testing::WaitUntil([&] { return claims("job") == kJobs; }, std::chrono::seconds(5)));
  // Per job: the worker woken claims it, then looks once more before it waits again.
  EXPECT_LE(claims("none") - 9, 2 * kJobs);
  const double before = claims("none");
  EnqueueOptions later;
  later.delay = std::chrono::milliseconds(300);
  ASSERT_TRUE(Add("ping", later));
  ASSERT_TRUE(testing::WaitUntil([&] { return ran == kJobs + 1; }, std::chrono::seconds(20)));
  // The notification's claim (not due yet), the one at its due time, the look after it.
  EXPECT_TRUE(
      testing::WaitUntil([&] { return claims("none") - before >= 2; }, std::chrono::seconds(5)));
  w.Stop();
  EXPECT_LE(claims("none") - before, 3);
  EXPECT_EQ(claims("job"), kJobs + 1);
}

// Waking one worker must not cost a burst its parallelism: a worker that claims a job while
// another is due recruits one more, so a burst from one notification reaches all eight.
TEST_F(JobsTest, ABurstFromOneNotificationGetsEveryWorker) {
  auto options = Options("default", 8);
  options.poll = std::chrono::seconds(60);
  WorkerPool w(*pool_, db_.url(), options, nullptr);
  std::mutex mu;
  std::condition_variable cv;
  int running = 0, most = 0, done = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  w.Register("hold", [&](JobContext&) {
    std::unique_lock lock(mu);
    most = std::max(most, ++running);
    cv.notify_all();
    // The first jobs hold their workers until eight run at once (or the test gives up).
    cv.wait_until(lock, give_up, [&] { return most == 8; });
    --running;
    ++done;
    cv.notify_all();
  });
  w.Start();
  const std::string listening =
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query "
      "ILIKE 'LISTEN%' AND state = 'idle'";
  ASSERT_TRUE(testing::WaitUntil([&] { return Scalar(listening) == 1; }, std::chrono::seconds(10)));
  pool_->InTransaction([&](db::Transaction& tx) {
    for (int i = 0; i < 40; ++i) Enqueue(tx, "hold", {{"i", i}});
  });
  {
    std::unique_lock lock(mu);
    cv.wait_until(lock, give_up, [&] { return done == 40; });
  }
  w.Stop();
  EXPECT_EQ(most, 8);
  EXPECT_EQ(done, 40);
}

// Every run leaves dead row versions in public.jobs (the claim's old row, the completion's
// delete) that each later claim and enqueue step over until they are vacuumed; autovacuum
// comes at most once a minute. The pool vacuums the table itself every `vacuum_every` runs,
// counted by PostgreSQL's own statistics; 0 leaves it to autovacuum.
TEST_F(JobsTest, ThePoolVacuumsTheJobsTableEveryNRuns) {
  const auto before = Vacuums();
  auto options = Options();
  options.vacuum_every = 50;
  metrics::Registry metrics;
  WorkerPool w(*pool_, "", options, &metrics);
  w.Register("ping", [](JobContext&) {});
  for (int i = 0; i < 120; ++i) ASSERT_TRUE(Add("ping"));
  ASSERT_EQ(w.Drain("default"), 120);
  EXPECT_EQ(metrics.CounterValue("sloth_jobs_vacuums_total", {}), 2);
  EXPECT_EQ(Vacuums() - before, 2);

  options.vacuum_every = 0;
  WorkerPool off(*pool_, "", options, nullptr);
  off.Register("ping", [](JobContext&) {});
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(Add("ping"));
  ASSERT_EQ(off.Drain("default"), 60);
  EXPECT_EQ(Vacuums() - before, 2);
}

// A database role that does not own public.jobs cannot vacuum it: the pool finds that out
// once, says so, and runs its jobs as before.
TEST_F(JobsTest, ARoleThatDoesNotOwnTheJobsTableLeavesItToAutovacuum) {
  const std::string role = "jobs_only_" + db_.name();
  Exec("CREATE ROLE " + role + " LOGIN");
  Exec("GRANT SELECT, INSERT, UPDATE, DELETE ON public.jobs TO " + role);
  // A role outlives the test's database: dropped whatever the test's outcome.
  struct Cleanup {
    std::function<void()> f;
    ~Cleanup() { f(); }
  } drop{[&] {
    Exec("REVOKE ALL ON public.jobs FROM " + role);
    Exec("DROP ROLE " + role);
  }};
  db::PoolOptions po;
  po.url = db_.url() + " user=" + role;  // keyword form: the last user= wins
  po.size = 2;
  db::Pool as_role(po);

  const auto before = Vacuums();
  auto options = Options();
  options.vacuum_every = 10;
  metrics::Registry metrics;
  {
    WorkerPool w(as_role, "", options, &metrics);
    int ran = 0;
    w.Register("ping", [&](JobContext&) { ++ran; });
    for (int i = 0; i < 35; ++i) ASSERT_TRUE(Add("ping"));
    EXPECT_EQ(w.Drain("default"), 35);
    EXPECT_EQ(ran, 35);
  }
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs"), 0);
  EXPECT_EQ(metrics.CounterValue("sloth_jobs_vacuums_total", {}), 0);
  EXPECT_EQ(Vacuums(), before);
}

// Workers are woken after the commit, once per queue and transaction, and only for a job
// that became its queue's earliest; never for a rollback.
TEST_F(JobsTest, EnqueueingWakesWorkersOncePerQueueAfterCommitAndOnlyForTheEarliestJob) {
  db::Listener listener(db_.url(), 5);
  std::mutex mu;
  std::vector<std::string> got;
  listener.Subscribe(kNotifyChannel, [&](const std::string&, const std::string& queue) {
    std::lock_guard<std::mutex> lock(mu);
    if (!queue.empty()) got.push_back(queue);
  });
  listener.Start();
  ASSERT_TRUE(testing::WaitUntil([&] { return listener.Connected(); }, std::chrono::seconds(5)));
  // Notifications arrive in commit order: once "marker" is in, whatever an earlier commit
  // sent is in too.
  auto sent = [&] {
    pool_->InTransaction([](db::Transaction& tx) { db::Notify(tx, kNotifyChannel, "marker"); });
    EXPECT_TRUE(testing::WaitUntil(
        [&] {
          std::lock_guard<std::mutex> lock(mu);
          return !got.empty() && got.back() == "marker";
        },
        std::chrono::seconds(5)));
    std::lock_guard<std::mutex> lock(mu);
    std::vector<std::string> out(got.begin(), got.end() - 1);
    got.clear();
    return out;
  };
  EnqueueOptions a, b, c;
  a.queue = "a";
  b.queue = "b";
  c.queue = "c";
  pool_->InTransaction([&](db::Transaction& tx) {
    for (int i = 0; i < 3; ++i) Enqueue(tx, "k", {}, a);
    EnqueueAtCommit(tx, "k", {}, b);
  });
  EXPECT_EQ(sent(), (std::vector<std::string>{"a", "b"}));
  // Queue a has due jobs: its workers are busy with them and claim again after each.
  ASSERT_TRUE(Add("k", a));
  pool_->InTransaction([&](db::Transaction& tx) { EnqueueAtCommit(tx, "k", {}, a); });
  EXPECT_EQ(sent(), std::vector<std::string>{});
  EXPECT_THROW(pool_->InTransaction([&](db::Transaction& tx) {
    Enqueue(tx, "k", {}, c);
    throw std::runtime_error("rolled back");
  }),
               std::runtime_error);
  EXPECT_EQ(sent(), std::vector<std::string>{});
  listener.Stop();
}

TEST_F(JobsTest, EffectsAndCompletionCommitTogether) {
  WorkerPool w(*pool_, "", Options(), nullptr);
  w.Register("effect", [](JobContext& ctx) {
    ctx.tx.Exec("INSERT INTO test_effects VALUES ($1, 'w')", ctx.job.id);
  });
  for (int i = 0; i < 5; ++i) Add("effect");
  EnqueueOptions later;
  later.delay = std::chrono::seconds(3600);
  Add("effect", later);
  EXPECT_EQ(w.Drain("default"), 5);  // the delayed one is not due
  EXPECT_EQ(Scalar("SELECT count(*) FROM test_effects"), 5);
  // Finished jobs without a unique key leave the table; the delayed one waits.
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs WHERE state = 'queued'"), 1);
  EnqueueOptions keyed;
  keyed.unique_key = "k1";
  Add("effect", keyed);
  EXPECT_EQ(w.Drain("default"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs WHERE state = 'done' AND unique_key = 'k1'"),
            1);
  EXPECT_FALSE(Add("effect", keyed));  // a finished keyed job still deduplicates
}

TEST_F(JobsTest, FailuresRetryWithBackoffThenDieKeepingTheError) {
  WorkerPool w(*pool_, "", Options(), nullptr);
  std::atomic<int> calls{0};
  w.Register("flaky", [&](JobContext& ctx) {
    ++calls;
    ctx.tx.Exec("INSERT INTO test_effects VALUES ($1, 'w')", ctx.job.id);  // rolled back
    throw std::runtime_error("provider said no (" + std::to_string(ctx.job.attempts) + ")");
  });
  EnqueueOptions o;
  o.max_attempts = 3;
  Add("flaky", o);
  EXPECT_EQ(w.Drain("default"), 3);
  EXPECT_EQ(calls.load(), 3);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs WHERE state = 'dead' AND attempts = 3 AND "
                   "last_error = 'provider said no (3)'"),
            1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM test_effects"), 0);
  // A kind this host has no handler for fails like any error (another host may have it).
  Add("unknown.kind", o);
  w.Drain("default");
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs WHERE kind = 'unknown.kind' AND state = "
                   "'dead' AND last_error = 'no handler for job kind ''unknown.kind'''"),
            1);
}

TEST_F(JobsTest, BackoffGrowsAndIsCapped) {
  using std::chrono::seconds;
  EXPECT_GE(WorkerPool::Backoff(1, seconds(2), seconds(600)), seconds(2));
  EXPECT_LE(WorkerPool::Backoff(1, seconds(2), seconds(600)), seconds(2));
  EXPECT_GE(WorkerPool::Backoff(4, seconds(2), seconds(600)), seconds(16));
  EXPECT_LE(WorkerPool::Backoff(4, seconds(2), seconds(600)), seconds(20));
  EXPECT_EQ(WorkerPool::Backoff(30, seconds(2), seconds(600)), seconds(600));
}

// The completion goes with the COMMIT, unread until then: a job whose lease passed to another
// worker while it ran must still take no effect, and leave the job to its new holder.
TEST_F(JobsTest, AJobWhoseLeaseWasTakenMeanwhileTakesNoEffect) {
  WorkerPool w(*pool_, "", Options(), nullptr);
  std::atomic<int> runs{0};
  w.Register("stolen", [&](JobContext& ctx) {
    ++runs;
    ctx.tx.Exec("INSERT INTO test_effects VALUES ($1, 'first')", ctx.job.id);
    // As if the lease had run out and another worker had claimed the job.
    Exec("UPDATE public.jobs SET locked_by = 'another-worker' WHERE id = " +
         std::to_string(ctx.job.id));
  });
  ASSERT_TRUE(Add("stolen"));
  EXPECT_EQ(w.Drain("default"), 1);
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM test_effects"), 0);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs WHERE state = 'running' AND locked_by = "
                   "'another-worker'"),
            1);
}

TEST_F(JobsTest, AKilledWorkersJobIsRetriedAfterTheLeaseAndTakesEffectOnce) {
  EnqueueOptions o;
  o.queue = "kill";
  o.unique_key = "once";  // kept as 'done' afterwards, so its attempts can be read
  const auto id = Add("test.effect", o);
  ASSERT_TRUE(id);
  testing::HostProcess doomed({SLOTH_JOB_WORKER_BINARY, db_.url()}, {});
  for (int i = 0; i < 200 && doomed.Log().find("working") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(doomed.Log().find("working"), std::string::npos) << doomed.Log();
  EXPECT_EQ(
      Scalar("SELECT count(*) FROM public.jobs WHERE state = 'running' AND locked_by = 'doomed'"),
      1);
  doomed.Signal(SIGKILL);
  doomed.Wait(std::chrono::seconds(5));

  WorkerOptions wo = Options("kill");
  wo.lease = std::chrono::seconds(2);
  WorkerPool w(*pool_, "", wo, nullptr);
  w.Register("test.effect", [](JobContext& ctx) {
    ctx.tx.Exec("INSERT INTO test_effects VALUES ($1, 'survivor')", ctx.job.id);
  });
  EXPECT_EQ(w.Drain("kill"), 0);  // still leased by the dead worker
  // Wait for the dead worker's lease to run out by the database's clock, which is the one
  // the release compares against.
  testing::WaitUntil(
      [&] {
        return Scalar(
                   "SELECT count(*) FROM public.jobs WHERE state = 'running' AND locked_until "
                   "< now()") > 0;
      },
      std::chrono::seconds(20));
  // Release runs at most every 5 s per pool; a fresh pool releases on its first claim.
  WorkerPool fresh(*pool_, "", wo, nullptr);
  fresh.Register("test.effect", [](JobContext& ctx) {
    ctx.tx.Exec("INSERT INTO test_effects VALUES ($1, 'survivor')", ctx.job.id);
  });
  EXPECT_EQ(fresh.Drain("kill"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM test_effects"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM test_effects WHERE worker = 'survivor'"), 1);
  EXPECT_EQ(Scalar("SELECT attempts FROM public.jobs WHERE id = " + std::to_string(*id)), 2);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs WHERE state = 'done'"), 1);
}

// Two pools in one process (the two-process case with real hosts is in channels_pgtest):
// each handler call is counted, so a job run twice shows even if its effect could not.
TEST_F(JobsTest, ManyWorkersInTwoPoolsRunEachJobOnce) {
  std::vector<std::unique_ptr<WorkerPool>> pools;
  std::array<std::atomic<int>, 2> calls{};
  for (int h = 0; h < 2; ++h) {
    auto w = std::make_unique<WorkerPool>(*pool_, db_.url(), Options("default", 4), nullptr);
    w->Register("effect", [h, &calls](JobContext& ctx) {
      ++calls[static_cast<std::size_t>(h)];
      ctx.tx.Exec("INSERT INTO test_effects VALUES ($1, $2)", ctx.job.id,
                  "pool" + std::to_string(h));
    });
    pools.push_back(std::move(w));
  }
  for (auto& w : pools) w->Start();
  pool_->InTransaction([&](db::Transaction& tx) {
    for (int i = 0; i < 200; ++i) Enqueue(tx, "effect", {{"i", i}});
  });
  testing::WaitUntil([&] { return Scalar("SELECT count(*) FROM public.jobs") == 0; },
                     std::chrono::seconds(30));
  for (auto& w : pools) w->Stop();
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs"), 0);  // finished jobs leave the table
  EXPECT_EQ(calls[0] + calls[1], 200);
  EXPECT_EQ(Scalar("SELECT count(*) FROM test_effects"), 200);
  EXPECT_EQ(Scalar("SELECT count(DISTINCT job_id) FROM test_effects"), 200);
}

TEST_F(JobsTest, NotificationWakesAnIdleWorker) {
  WorkerOptions o = Options();
  o.poll = std::chrono::seconds(60);  // only a notification can wake it in time
  WorkerPool w(*pool_, db_.url(), o, nullptr);
  std::atomic<bool> ran{false};
  w.Register("ping", [&](JobContext&) { ran = true; });
  w.Start();
  // Idle once its listening connection has run LISTEN and waits (seen from the server).
  const std::string listening =
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query "
      "ILIKE 'LISTEN%' AND state = 'idle'";
  testing::WaitUntil([&] { return Scalar(listening) > 0; }, std::chrono::seconds(5));
  ASSERT_EQ(Scalar(listening), 1);
  Add("ping");
  // Far less than the 60 s poll: only the notification can have woken it.
  testing::WaitUntil([&] { return ran.load(); }, std::chrono::seconds(20));
  w.Stop();
  EXPECT_TRUE(ran.load());
}

TEST_F(JobsTest, TwoSchedulersEnqueueEachSlotOnce) {
  setenv("TZ", "UTC", 1);
  tzset();
  std::vector<ScheduleEntry> entries = {
      {"trial_expiry", CronExpr::Parse("0 0 * * *"), "billing.trial_expiry", "default"},
      {"usage_check", CronExpr::Parse("0 * * * *"), "billing.usage_check", "default"}};
  db::PoolOptions o;
  o.url = db_.url();
  db::Pool other(o);
  Scheduler a(*pool_, entries), b(other, entries);
  const std::time_t t0 = 1795348800;  // 2026-11-22T12:00:00Z
  std::atomic<int> added{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { added += (i % 2 ? a : b).Tick(t0 + i); });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(added.load(), 2);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs"), 2);
  // Three days of downtime: each entry's missed slots run once, not once per slot.
  EXPECT_EQ(a.Tick(t0 + 3 * 86400), 2);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs WHERE unique_key = "
                   "'trial_expiry@2026-11-25T00:00Z'"),
            1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.jobs"), 4);
}

}  // namespace
}  // namespace sloth::jobs
