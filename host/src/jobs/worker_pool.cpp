#include "jobs/worker_pool.hpp"

#include <algorithm>

#include <unistd.h>

#include <random>

#include <spdlog/spdlog.h>

namespace sloth::jobs {
namespace {

std::string DefaultWorkerId() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + ":" + std::to_string(getpid());
}

std::int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::chrono::seconds WorkerPool::Backoff(int attempts, std::chrono::seconds base,
                                         std::chrono::seconds cap) {
  // base * 2^(attempts-1), capped, with up to 25% jitter so a burst of failures spreads out.
  const int shift = std::min(attempts - 1, 30);
  const auto raw = std::min<std::int64_t>(cap.count(), base.count() << std::max(shift, 0));
  thread_local std::mt19937 rng{std::random_device{}()};
  const auto jitter = std::uniform_int_distribution<std::int64_t>(0, raw / 4)(rng);
  return std::chrono::seconds(std::min<std::int64_t>(cap.count(), raw + jitter));
}

WorkerPool::WorkerPool(db::Pool& pool, std::string listen_url, WorkerOptions options,
                       metrics::Registry* metrics)
    : pool_(pool), options_(std::move(options)), metrics_(metrics) {
  if (options_.worker_id.empty()) options_.worker_id = DefaultWorkerId();
  if (!listen_url.empty()) {
    listener_ = std::make_unique<db::Listener>(listen_url, 5);
    listener_->Subscribe(kNotifyChannel, [this](const std::string&, const std::string& queue) {
      Wake(queue);  // empty after a reconnect: wakes every queue
    });
  }
  if (metrics_) {
    metrics_->Gauge("sloth_jobs", "jobs by queue and state (queued, running, dead)", [this] {
      std::vector<std::pair<metrics::Labels, double>> out;
      try {
        pool_.InTransaction([&](db::Transaction& tx) {
          for (const auto& s : store_.Sizes(tx))
            out.push_back({{{"queue", s.queue}, {"state", s.state}}, static_cast<double>(s.jobs)});
        });
      } catch (const std::exception& e) {
        spdlog::warn("jobs: cannot read queue sizes: {}", e.what());
      }
      return out;
    });
  }
}

WorkerPool::~WorkerPool() {
  Stop();
}

void WorkerPool::Register(const std::string& kind, JobHandler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  handlers_[kind] = std::move(handler);
}

void WorkerPool::RegisterCleanup(std::chrono::hours retention) {
  Register("jobs.cleanup", [retention](JobContext& ctx) {
    const auto n = JobStore().DeleteFinished(ctx.tx, retention);
    spdlog::info("jobs: cleanup removed {} finished job(s)", n);
  });
}

void WorkerPool::RegisterStaged(const std::string& kind, StagedJobHandler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  staged_[kind] = std::move(handler);
}

void StagedJobContext::Checkpoint(const std::function<void(db::Transaction&)>& f) {
  if (finished_) throw std::logic_error("job " + std::to_string(job.id) + " already finished");
  InJobScope(pool_, job, [&](db::Transaction& tx) {
    f(tx);
    JobStore().HoldLeaseAtCommit(tx, job.id, worker_);
  });
}

void StagedJobContext::Finish(const std::function<void(db::Transaction&)>& f) {
  if (finished_) throw std::logic_error("job " + std::to_string(job.id) + " finished twice");
  InJobScope(pool_, job, [&](db::Transaction& tx) {
    f(tx);
    JobStore().CompleteAtCommit(tx, job.id, worker_);
  });
  finished_ = true;
}

void WorkerPool::Start() {
  stop_ = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& q : options_.queues) lanes_[q.name];
  }
  if (listener_) listener_->Start();
  for (const auto& q : options_.queues) {
    for (int i = 0; i < q.concurrency; ++i)
      threads_.emplace_back([this, name = q.name] { Loop(name); });
  }
}

void WorkerPool::Stop() {
  stop_ = true;
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  if (listener_) listener_->Stop();
}

void WorkerPool::WakeOneLocked(const std::string& queue) {
  auto wake = [](Lane& lane) {
    if (lane.permits < lane.waiting) {
      ++lane.permits;
    } else {
      lane.missed = true;
    }
  };
  if (queue.empty()) {
    for (auto& [name, lane] : lanes_) wake(lane);
  } else if (const auto it = lanes_.find(queue); it != lanes_.end()) {
    // Only the queues this pool serves have lanes (Start makes them): a notification for
    // another queue (another host's, any name) adds nothing.
    wake(it->second);
  }
}

void WorkerPool::Wake(const std::string& queue) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    WakeOneLocked(queue);
  }
  cv_.notify_all();
}

void WorkerPool::Loop(const std::string& queue) {
  using Clock = std::chrono::steady_clock;
  while (!stop_) {
    JobStore::Claimed claimed;
    try {
      claimed = Claim(queue);
    } catch (const std::exception& e) {
      spdlog::warn("jobs: worker on '{}' could not claim: {}", queue, e.what());
    }
    const bool ran = claimed.job.has_value();
    std::unique_lock<std::mutex> lock(mu_);
    Lane& lane = lanes_[queue];
    if (claimed.next_due) {
      if (claimed.next_due->count() <= 0) {
        // Another job is due: one more worker for it. After an empty claim a due job is one
        // being claimed meanwhile (skipped as locked, or seen queued by this snapshot): its
        // claimer has it, and recruiting would only chase it.
        if (ran) {
          WakeOneLocked(queue);
          cv_.notify_all();
        }
      } else {
        const auto at = Clock::now() + std::min(*claimed.next_due, options_.poll);
        if (at < lane.timer) {
          lane.timer = at;
          cv_.notify_all();  // idle workers wait until the new, earlier time
        }
      }
    }
    if (ran) {
      lock.unlock();
      Run(queue, *claimed.job);
      continue;  // look again at once: the queue may hold more
    }
    if (lane.missed) {
      lane.missed = false;
      continue;
    }
    ++lane.waiting;
    const auto poll_at = Clock::now() + options_.poll;
    for (;;) {
      if (stop_) break;
      if (lane.permits > 0) {
        --lane.permits;
        break;
      }
      const auto now = Clock::now();
      if (lane.timer <= now) {
        lane.timer = Clock::time_point::max();  // this worker answers it; the others wait on
        break;
      }
      if (now >= poll_at) break;  // the fallback when a notification was lost
      cv_.wait_until(lock, std::min(poll_at, lane.timer));
    }
    --lane.waiting;
  }
}

int WorkerPool::Drain(const std::string& queue, int at_most) {
  int n = 0;
  for (; n < at_most; ++n) {
    const auto claimed = Claim(queue);
    if (!claimed.job) break;
    Run(queue, *claimed.job);
  }
  return n;
}

JobStore::Claimed WorkerPool::Claim(const std::string& queue) {
  // Return jobs of dead workers now and then (any worker may; the UPDATE is idempotent).
  const auto now = NowSeconds();
  auto last = last_reap_.load();
  if (now - last >= 5 && last_reap_.compare_exchange_strong(last, now)) {
    const auto released = store_.ReleaseExpired(*pool_.Acquire());
    if (released > 0) spdlog::warn("jobs: {} job(s) released after their lease ran out", released);
  }

  auto claimed = store_.Claim(*pool_.Acquire(), queue, options_.worker_id, options_.lease);
  if (metrics_) {
    metrics_->Inc("sloth_jobs_claims_total", "claims, by queue and whether a job was due",
                  {{"queue", queue}, {"found", claimed.job ? "job" : "none"}});
  }
  return claimed;
}

void WorkerPool::Run(const std::string& queue, const Job& job) {
  JobHandler handler;
  StagedJobHandler staged;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = handlers_.find(job.kind);
    if (it != handlers_.end()) handler = it->second;
    auto st = staged_.find(job.kind);
    if (st != staged_.end()) staged = st->second;
  }
  const auto start = std::chrono::steady_clock::now();
  std::string outcome = "done";
  try {
    if (staged) {
      StagedJobContext ctx(job, pool_, options_.worker_id);
      staged(ctx);
      if (!ctx.finished()) ctx.Finish([](db::Transaction&) {});
    } else {
      if (!handler) throw std::runtime_error("no handler for job kind '" + job.kind + "'");
      auto run = [&](db::Transaction& tx) {
        JobContext ctx{job, tx};
        handler(ctx);
        store_.CompleteAtCommit(tx, job.id, options_.worker_id);
      };
      InJobScope(pool_, job, run);
    }
  } catch (const std::exception& e) {
    auto backoff = Backoff(job.attempts, options_.backoff_base, options_.backoff_cap);
    if (const auto* later = dynamic_cast<const RetryAfter*>(&e)) backoff = later->delay();
    bool dead = false;
    try {
      dead = store_.Fail(*pool_.Acquire(), job.id, options_.worker_id, e.what(), backoff);
    } catch (const std::exception& e2) {
      // The lease will return the job; nothing is lost.
      spdlog::error("jobs: cannot record the failure of job {}: {}", job.id, e2.what());
    }
    outcome = dead ? "dead" : "retry";
    if (dead) {
      spdlog::error("jobs: job {} ({}) is dead after {} attempts: {}", job.id, job.kind,
                    job.attempts, e.what());
    } else {
      spdlog::warn("jobs: job {} ({}) failed (attempt {}), retry in {} s: {}", job.id, job.kind,
                   job.attempts, backoff.count(), e.what());
    }
  }
  if (metrics_) {
    metrics_->Inc("sloth_jobs_processed_total", "jobs run, by queue, kind and outcome",
                  {{"queue", queue}, {"kind", job.kind}, {"outcome", outcome}});
    metrics_->Observe(
        "sloth_job_duration_seconds", "time to run a job", {{"queue", queue}, {"kind", job.kind}},
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    metrics_->Observe("sloth_job_wait_seconds", "time from due to claimed", {{"queue", queue}},
                      job.waited_seconds);
  }
  CountRun();
}

void WorkerPool::CountRun() {
  if (options_.vacuum_every <= 0 || runs_since_vacuum_.fetch_add(1) + 1 < options_.vacuum_every)
    return;
  if (vacuuming_.exchange(true)) return;  // another worker is at it
  runs_since_vacuum_ = 0;
  try {
    auto lease = pool_.Acquire();
    if (!may_vacuum_) {
      may_vacuum_ = store_.MayVacuum(*lease);
      if (!*may_vacuum_) {
        spdlog::warn(
            "jobs: this database role does not own public.jobs and cannot vacuum it; the queue "
            "relies on autovacuum (tune it for the table, or set jobs.vacuum_every: 0)");
      }
    }
    if (*may_vacuum_) {
      const auto start = std::chrono::steady_clock::now();
      store_.Vacuum(*lease);
      if (metrics_) {
        metrics_->Inc("sloth_jobs_vacuums_total", "vacuums of the jobs table by this host", {});
        metrics_->Observe(
            "sloth_jobs_vacuum_seconds", "time to vacuum the jobs table", {},
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
    }
  } catch (const std::exception& e) {
    spdlog::warn("jobs: cannot vacuum public.jobs: {}", e.what());
  }
  vacuuming_ = false;
}

}  // namespace sloth::jobs
