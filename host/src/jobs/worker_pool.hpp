#pragma once

// Workers for the PostgreSQL job queue: per-queue concurrency, woken by LISTEN/NOTIFY with a
// poll as fallback, retries with capped exponential backoff, dead jobs keeping their last
// error, and a lease that returns the jobs of a dead worker (another host's, too).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "db/listener.hpp"
#include "db/pool.hpp"
#include "jobs/job_queue.hpp"
#include "metrics/metrics.hpp"

namespace sloth::jobs {

struct QueueOptions {
  std::string name = "default";
  int concurrency = 1;
};

struct WorkerOptions {
  std::vector<QueueOptions> queues{QueueOptions{}};
  std::chrono::seconds lease{300};
  std::chrono::milliseconds poll{2000};
  std::chrono::seconds backoff_base{2};
  std::chrono::seconds backoff_cap{600};
  std::string worker_id;  // default: hostname:pid
  // Vacuum public.jobs after this many jobs run by this pool (0: leave it to autovacuum).
  int vacuum_every = 1000;
};

// Runs `f` in a transaction scoped like `job`: its tenant's when it has one.
template <typename F>
auto InJobScope(db::Pool& pool, const Job& job, F&& f) {
  if (job.tenant_id) return pool.InTenant(db::TenantId{*job.tenant_id}, std::forward<F>(f));
  return pool.InTransaction(std::forward<F>(f));
}
template <typename F>
auto InJobScope(db::Pool& pool, const Job& job, db::ReadOnly, F&& f) {
  if (job.tenant_id)
    return pool.InTenant(db::TenantId{*job.tenant_id}, db::kReadOnly, std::forward<F>(f));
  return pool.InTransaction(db::kReadOnly, std::forward<F>(f));
}

// A job that only touches the database: it runs in one transaction, and its effects and
// its completion commit together.
struct JobContext {
  const Job& job;
  db::Transaction& tx;  // scoped to the job's tenant when it has one
};

using JobHandler = std::function<void(JobContext&)>;

// A job that calls a provider (an embedder, a vision service, a channel, an LLM, a
// calendar) never does so inside a transaction: a slow provider would hold a pooled
// connection and every row lock taken so far. It runs in steps instead:
//   1. Read: what the call needs, in a transaction of its own, committed at once;
//   2. the provider call, with no connection held;
//   3. Finish: the result recorded and the job completed, in one transaction.
// Step 3 must be idempotent against a repeat of the whole job (a crash after the call, a
// lease that ran out): guard it by the state step 1 read (`WHERE status = 'pending'`,
// replace-not-append). A handler that returns without Finish is completed as it stands.
// A job with two calls in a row (a model's answer, then the channel that delivers it)
// records the first's result with Checkpoint before the second: a repeat then finds it and
// skips the first call.
class StagedJobContext {
 public:
  // `worker`: who holds the job's lease (completion and checkpoints check it).
  StagedJobContext(const Job& claimed, db::Pool& pool, std::string worker)
      : job(claimed), pool_(pool), worker_(std::move(worker)) {}

  const Job& job;

  // Runs `f` in a read-only transaction scoped like the job (PostgreSQL refuses a write in
  // it: what is written belongs in Finish, where it commits with the job's completion).
  template <typename F>
  auto Read(F&& f) {
    return InJobScope(pool_, job, db::kReadOnly, std::forward<F>(f));
  }
  // Runs `f` in a transaction scoped like the job that commits only while this worker still
  // holds the job's lease; the job stays running. Before Finish.
  void Checkpoint(const std::function<void(db::Transaction&)>& f);
  // Runs `f` and completes the job in one transaction. At most once per run.
  void Finish(const std::function<void(db::Transaction&)>& f);
  bool finished() const { return finished_; }

 private:
  db::Pool& pool_;
  std::string worker_;
  bool finished_ = false;
};

using StagedJobHandler = std::function<void(StagedJobContext&)>;

// Thrown by a handler that must run again after exactly `delay` rather than the backoff
// (a provider's retry_after): the job's effects roll back as for any failure.
class RetryAfter : public std::runtime_error {
 public:
  RetryAfter(std::chrono::seconds delay, const std::string& what)
      : std::runtime_error(what), delay_(delay) {}
  std::chrono::seconds delay() const { return delay_; }

 private:
  std::chrono::seconds delay_;
};

class WorkerPool {
 public:
  // `listen_url` is a direct (non-pooled) connection string for LISTEN; empty = poll only.
  WorkerPool(db::Pool& pool, std::string listen_url, WorkerOptions options,
             metrics::Registry* metrics);
  ~WorkerPool();

  void Register(const std::string& kind, JobHandler handler);
  // jobs.cleanup: deletes finished jobs older than `retention` (scheduled in host.yaml).
  void RegisterCleanup(std::chrono::hours retention);
  // A handler that calls providers between transactions; see StagedJobContext.
  void RegisterStaged(const std::string& kind, StagedJobHandler handler);
  void Start();
  // Stops claiming; jobs in progress finish first.
  void Stop();

  // Processes due jobs of `queue` on the calling thread until none is left or `at_most`
  // ran; returns how many ran (tests and benchmarks).
  int Drain(const std::string& queue, int at_most = std::numeric_limits<int>::max());

  static std::chrono::seconds Backoff(int attempts, std::chrono::seconds base,
                                      std::chrono::seconds cap);

 private:
  // Idle workers of a queue, and what may wake them. A notification or a recruit wakes one
  // worker, not all: every worker woken claims, and all but one used to find nothing (on
  // every host: each listens). A worker that claimed a job while another was due recruits
  // one more, so a burst still gets every worker. One timer per queue stands for the next
  // delayed job: at its time one worker claims, not every idle one.
  struct Lane {
    int waiting = 0;      // workers idle in Loop
    int permits = 0;      // wake-ups for idle workers, never more than are waiting
    bool missed = false;  // a wake-up came while none waited: the next to go idle claims first
    std::chrono::steady_clock::time_point timer = std::chrono::steady_clock::time_point::max();
  };
  void Loop(const std::string& queue);
  // Claims one job (now and then returning those of dead workers first); `job` is empty
  // when none was due.
  JobStore::Claimed Claim(const std::string& queue);
  // Runs a claimed job to its completion, retry or death.
  void Run(const std::string& queue, const Job& job);
  // Wakes one idle worker of `queue` (of every queue when empty). Call with mu_ held.
  void WakeOneLocked(const std::string& queue);
  void Wake(const std::string& queue);
  // Counts a job run; every options_.vacuum_every runs, one worker vacuums the jobs table.
  void CountRun();

  db::Pool& pool_;
  WorkerOptions options_;
  metrics::Registry* metrics_;
  JobStore store_;
  std::unique_ptr<db::Listener> listener_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Lane> lanes_;  // by queue
  std::map<std::string, JobHandler> handlers_;
  std::map<std::string, StagedJobHandler> staged_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> last_reap_{0};
  std::atomic<int> runs_since_vacuum_{0};
  std::atomic<bool> vacuuming_{false};
  std::optional<bool> may_vacuum_;  // read and written only by the worker holding vacuuming_
};

}  // namespace sloth::jobs
