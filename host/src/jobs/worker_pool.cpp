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

void StagedJobContext::Finish(const std::function<void(db::Transaction&)>& f) {
  if (finished_) throw std::logic_error("job " + std::to_string(job.id) + " finished twice");
  InJobScope(pool_, job, [&](db::Transaction& tx) {
    f(tx);
    complete_(tx);
  });
  finished_ = true;
}

void WorkerPool::Start() {
  stop_ = false;
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

void WorkerPool::Wake(const std::string& queue) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue.empty()) {
      for (auto& [q, n] : wakeups_) ++n;
    } else {
      ++wakeups_[queue];
    }
  }
  cv_.notify_all();
}

void WorkerPool::Loop(const std::string& queue) {
  while (!stop_) {
    std::uint64_t seen = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      seen = wakeups_[queue];
    }
    bool ran = false;
    auto wait = options_.poll;
    try {
      ran = RunOne(queue);
      // A job due before the next poll (a burst window, a provider's retry_after) wakes
      // this worker at its due time, not at the poll after it.
      if (!ran) {
        if (const auto due = store_.NextDue(*pool_.Acquire(), queue))
          wait = std::clamp(*due, std::chrono::milliseconds(1), options_.poll);
      }
    } catch (const std::exception& e) {
      spdlog::warn("jobs: worker on '{}' could not claim: {}", queue, e.what());
    }
    if (ran) continue;
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, wait, [&] { return stop_ || wakeups_[queue] != seen; });
  }
}

int WorkerPool::Drain(const std::string& queue, int at_most) {
  int n = 0;
  while (n < at_most && RunOne(queue)) ++n;
  return n;
}

bool WorkerPool::RunOne(const std::string& queue) {
  // Return jobs of dead workers now and then (any worker may; the UPDATE is idempotent).
  const auto now = NowSeconds();
  auto last = last_reap_.load();
  if (now - last >= 5 && last_reap_.compare_exchange_strong(last, now)) {
    const auto released = store_.ReleaseExpired(*pool_.Acquire());
    if (released > 0) spdlog::warn("jobs: {} job(s) released after their lease ran out", released);
  }

  const auto job = store_.Claim(*pool_.Acquire(), queue, options_.worker_id, options_.lease);
  if (!job) return false;

  JobHandler handler;
  StagedJobHandler staged;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = handlers_.find(job->kind);
    if (it != handlers_.end()) handler = it->second;
    auto st = staged_.find(job->kind);
    if (st != staged_.end()) staged = st->second;
  }
  const auto start = std::chrono::steady_clock::now();
  std::string outcome = "done";
  try {
    auto complete = [&](db::Transaction& tx) {
      store_.CompleteAtCommit(tx, job->id, options_.worker_id);
    };
    if (staged) {
      StagedJobContext ctx(*job, pool_, complete);
      staged(ctx);
      if (!ctx.finished()) ctx.Finish([](db::Transaction&) {});
    } else {
      if (!handler) throw std::runtime_error("no handler for job kind '" + job->kind + "'");
      auto run = [&](db::Transaction& tx) {
        JobContext ctx{*job, tx};
        handler(ctx);
        complete(tx);
      };
      InJobScope(pool_, *job, run);
    }
  } catch (const std::exception& e) {
    auto backoff = Backoff(job->attempts, options_.backoff_base, options_.backoff_cap);
    if (const auto* later = dynamic_cast<const RetryAfter*>(&e)) backoff = later->delay();
    bool dead = false;
    try {
      dead = store_.Fail(*pool_.Acquire(), job->id, options_.worker_id, e.what(), backoff);
    } catch (const std::exception& e2) {
      // The lease will return the job; nothing is lost.
      spdlog::error("jobs: cannot record the failure of job {}: {}", job->id, e2.what());
    }
    outcome = dead ? "dead" : "retry";
    if (dead) {
      spdlog::error("jobs: job {} ({}) is dead after {} attempts: {}", job->id, job->kind,
                    job->attempts, e.what());
    } else {
      spdlog::warn("jobs: job {} ({}) failed (attempt {}), retry in {} s: {}", job->id, job->kind,
                   job->attempts, backoff.count(), e.what());
    }
  }
  if (metrics_) {
    metrics_->Inc("sloth_jobs_processed_total", "jobs run, by queue, kind and outcome",
                  {{"queue", queue}, {"kind", job->kind}, {"outcome", outcome}});
    metrics_->Observe(
        "sloth_job_duration_seconds", "time to run a job", {{"queue", queue}, {"kind", job->kind}},
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    metrics_->Observe("sloth_job_wait_seconds", "time from due to claimed", {{"queue", queue}},
                      job->waited_seconds);
  }
  return true;
}

}  // namespace sloth::jobs
