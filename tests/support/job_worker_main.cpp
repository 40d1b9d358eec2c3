// A worker process for the lease test: it claims one job of queue "kill", records its
// effect inside the job's transaction, prints "working" and then waits to be killed.
#include <cstdio>
#include <thread>

#include "db/pool.hpp"
#include "jobs/worker_pool.hpp"

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  sloth::db::PoolOptions o;
  o.url = argv[1];
  o.size = 2;
  sloth::db::Pool pool(o);
  sloth::jobs::WorkerOptions wo;
  wo.queues = {{"kill", 1}};
  wo.lease = std::chrono::seconds(2);
  wo.worker_id = "doomed";
  sloth::jobs::WorkerPool workers(pool, "", wo, nullptr);
  workers.Register("test.effect", [](sloth::jobs::JobContext& ctx) {
    ctx.tx.Exec("INSERT INTO test_effects (job_id, worker) VALUES ($1, 'doomed')", ctx.job.id);
    std::printf("working\n");
    std::fflush(stdout);
    std::this_thread::sleep_for(std::chrono::minutes(5));
  });
  workers.Drain("kill");
  return 0;
}
