// Job queue throughput against a real PostgreSQL, in one run:
//   ceiling   each worker loops: INSERT a row; DELETE one row ... FOR UPDATE SKIP LOCKED
//   row       the same on public.jobs itself (its row, checks and indexes): what the table's
//             shape costs, apart from the queue's protocol
//   queue     each worker loops: Enqueue a job; claim one; run a no-op handler; complete it
// Like for like: each loop adds one and takes one, and neither side looks again for work.
// with 1, 2 and 8 workers. Prints a table of jobs/s and the queue's share of the ceiling.
//
//   job_queue_benchmark DATABASE_URL [SECONDS_PER_RUN]

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "db/migrations.hpp"
#include "jobs/worker_pool.hpp"

namespace {

using Clock = std::chrono::steady_clock;

// `one` does a unit of work and returns how many operations (jobs) it completed.
double Run(int workers, std::chrono::seconds duration, const std::function<long()>& one) {
  std::atomic<bool> stop{false};
  std::atomic<long> done{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int i = 0; i < workers; ++i) {
    threads.emplace_back([&] {
      while (!stop) {
        done += one();
      }
    });
  }
  std::this_thread::sleep_for(duration);
  stop = true;
  for (auto& t : threads) t.join();
  return static_cast<double>(done) / std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: job_queue_benchmark DATABASE_URL [SECONDS_PER_RUN]\n");
    return 2;
  }
  spdlog::set_level(spdlog::level::warn);
  const std::chrono::seconds secs(argc > 2 ? std::stoi(argv[2]) : 5);
  sloth::db::PoolOptions po;
  po.url = argv[1];
  po.size = 16;
  sloth::db::Pool pool(po);
  sloth::db::Migrator(pool, sloth::db::BuiltinMigrations()).MigratePublic();
  pool.InTransaction([](sloth::db::Transaction& tx) {
    tx.Exec(
        "CREATE TABLE IF NOT EXISTS bench_ceiling (id bigserial PRIMARY KEY, payload jsonb NOT "
        "NULL)");
    tx.Exec("TRUNCATE bench_ceiling");
    tx.Exec("DELETE FROM public.jobs WHERE queue IN ('bench', 'bench-row')");
  });

  sloth::jobs::WorkerOptions wo;
  wo.queues = {{"bench", 1}};
  sloth::jobs::WorkerPool queue(pool, "", wo, nullptr);
  queue.Register("bench.noop", [](sloth::jobs::JobContext&) {});
  sloth::jobs::EnqueueOptions eo;
  eo.queue = "bench";

  std::printf(
      "| workers | ceiling ops/s (INSERT + DELETE SKIP LOCKED) | the same on public.jobs | queue "
      "jobs/s (enqueue + claim + complete) | share of ceiling | share of public.jobs's |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (int workers : {1, 2, 8}) {
    const double ceiling = Run(workers, secs, [&] {
      pool.InTransaction([](sloth::db::Transaction& tx) {
        tx.Exec("INSERT INTO bench_ceiling (payload) VALUES ('{\"n\":1}')");
      });
      pool.InTransaction([](sloth::db::Transaction& tx) {
        tx.Exec(
            "DELETE FROM bench_ceiling WHERE id = (SELECT id FROM bench_ceiling ORDER BY id "
            "LIMIT 1 FOR UPDATE SKIP LOCKED)");
      });
      return 1L;
    });
    const double row = Run(workers, secs, [&] {
      pool.InTransaction([](sloth::db::Transaction& tx) {
        tx.Exec(
            "INSERT INTO public.jobs (queue, kind, payload, max_attempts) VALUES ('bench-row', "
            "'bench.noop', '{\"n\":1}', 10)");
      });
      pool.InTransaction([](sloth::db::Transaction& tx) {
        tx.Exec(
            "DELETE FROM public.jobs WHERE id = (SELECT id FROM public.jobs WHERE queue = "
            "'bench-row' AND state = 'queued' AND run_at <= now() ORDER BY run_at, id LIMIT 1 FOR "
            "UPDATE SKIP LOCKED)");
      });
      return 1L;
    });
    const double jobs = Run(workers, secs, [&] {
      pool.InTransaction([&](sloth::db::Transaction& tx) {
        sloth::jobs::Enqueue(tx, "bench.noop", {{"n", 1}}, eo);
      });
      return static_cast<long>(queue.Drain("bench", 1));
    });
    std::printf("| %d | %.0f | %.0f | %.0f | %.0f%% | %.0f%% |\n", workers, ceiling, row, jobs,
                100.0 * jobs / ceiling, 100.0 * jobs / row);
    std::fflush(stdout);
  }
  return 0;
}
