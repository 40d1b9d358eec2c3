#include "jobs/job_queue.hpp"

#include <algorithm>
#include <stdexcept>

#include "db/listener.hpp"

namespace sloth::jobs {

namespace {

// One job, in one round trip, which also says whether workers need waking: only when the
// job becomes its queue's earliest — one due now with none due before it, or a delayed one
// due before every other (workers then sleep until its due time, WorkerPool::Loop). While
// jobs wait, workers are busy and claim again after each job. The notification goes after
// the commit (db::Notify, which says why), once per queue and transaction. The price is a
// race — a worker that found the queue empty just before this commit sleeps until its poll
// (jobs.poll_ms) — a bounded delay, never a lost job. One job per statement, never an array
// of them: over an array parameter PostgreSQL expects 100 rows in the generic plan and so
// plans the statement afresh on every execution.
const std::string& InsertSql() {
  static const std::string sql =
      "WITH added AS (INSERT INTO public.jobs (queue, kind, payload, tenant_id, unique_key, "
      "run_at, max_attempts) VALUES ($1, $2, $3::jsonb, $4, $5, now() + make_interval(secs => "
      "$6::double precision / 1000), $7) ON CONFLICT (queue, unique_key) WHERE unique_key IS "
      "NOT NULL DO NOTHING RETURNING id, run_at) SELECT id, NOT EXISTS (SELECT 1 FROM "
      "public.jobs j WHERE j.queue = $1 AND j.state = 'queued' AND j.run_at <= added.run_at) "
      "AS earliest FROM added";
  return sql;
}

struct Added {
  std::optional<std::int64_t> id;  // none: a job with the same unique key is queued
  bool earliest = false;
};

db::Query<Added> Insert(const std::string& kind, const nlohmann::json& payload,
                        const EnqueueOptions& o) {
  return db::MakeQuery<Added>(
      [](const db::Result& r) {
        return r.Empty() ? Added{} : Added{r.Int(0, 0), r.Bool(0, 1)};
      },
      InsertSql(), o.queue, kind, payload.dump(), o.tenant_id, o.unique_key, o.delay.count(),
      o.max_attempts);
}

void WakeWorkersAfterCommit(db::Transaction& tx, const Added& added, const std::string& queue) {
  if (added.earliest) db::Notify(tx, kNotifyChannel, queue);
}

}  // namespace

std::optional<std::int64_t> Enqueue(db::Transaction& tx, const std::string& kind,
                                    const nlohmann::json& payload, const EnqueueOptions& o) {
  const Added added = tx.Exec(Insert(kind, payload, o));
  WakeWorkersAfterCommit(tx, added, o.queue);
  return added.id;
}

void EnqueueAtCommit(db::Transaction& tx, const std::string& kind, const nlohmann::json& payload,
                     const EnqueueOptions& o) {
  tx.AtCommit(Insert(kind, payload, o),
              [&tx, queue = o.queue](Added added) { WakeWorkersAfterCommit(tx, added, queue); });
}

JobStore::Claimed JobStore::Claim(db::Connection& c, const std::string& queue,
                                  const std::string& worker, std::chrono::seconds lease) {
  // The claim commits without waiting for its WAL flush (synchronous_commit off, for this
  // statement's transaction only): a claim lost in a crash leaves the job queued, which is
  // what an expired lease does anyway, while completion — which carries the job's effects —
  // stays durable. One fsync wait fewer per job.
  // One row whether or not a job was claimed: the job's columns (NULL when none was due) and
  // when the earliest other queued job is due, in milliseconds from now (NULL when none is
  // queued: greatest() would have turned it into 0, and every idle worker into a loop). Both
  // read one snapshot, in which the job just claimed still looks queued: hence the id test.
  auto r = c.Exec(
      "WITH async AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true)), "
      "claimed AS (UPDATE public.jobs SET state = 'running', attempts = attempts + 1, "
      "started_at = now(), locked_until = now() + make_interval(secs => $3::bigint), "
      "locked_by = $2 WHERE id = (SELECT id FROM public.jobs WHERE queue = $1 AND state = "
      "'queued' AND run_at <= now() ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
      "AND EXISTS (SELECT 1 FROM async) RETURNING id, queue, kind, payload, tenant_id, "
      "attempts, max_attempts, run_at) "
      "SELECT j.id, j.queue, j.kind, j.payload::text AS payload, j.tenant_id, j.attempts, "
      "j.max_attempts, extract(epoch FROM now() - j.run_at) AS waited, "
      "(SELECT ceil(extract(epoch FROM min(o.run_at) - now()) * 1000)::bigint FROM "
      "public.jobs o WHERE o.queue = $1 AND o.state = 'queued' AND o.id IS DISTINCT FROM "
      "j.id) AS next_due_ms FROM (SELECT 1) AS one LEFT JOIN claimed j ON true",
      queue, worker, lease.count());
  Claimed out;
  const auto row = r.At(0);
  if (!row.IsNull("next_due_ms")) out.next_due = std::chrono::milliseconds(row.Int("next_due_ms"));
  if (row.IsNull("id")) return out;
  Job& j = out.job.emplace();
  j.id = row.Int("id");
  j.queue = row.Text("queue");
  j.kind = row.Text("kind");
  j.payload = nlohmann::json::parse(row.Text("payload"));
  if (!row.IsNull("tenant_id")) j.tenant_id = row.Int("tenant_id");
  j.attempts = static_cast<int>(row.Int("attempts"));
  j.max_attempts = static_cast<int>(row.Int("max_attempts"));
  j.waited_seconds = std::max(0.0, row.Double("waited"));
  return out;
}

void JobStore::CompleteAtCommit(db::Transaction& tx, std::int64_t id, const std::string& worker) {
  // A job without a unique key leaves the table (less to index and vacuum); a keyed one
  // stays as 'done' so its key keeps deduplicating until cleanup. Sent with the COMMIT: no
  // round trip of its own, and the job's row lock is held no longer than the commit.
  tx.AtCommit(
      "WITH gone AS (DELETE FROM public.jobs WHERE id = $1 AND state = 'running' AND "
      "locked_by = $2 AND unique_key IS NULL RETURNING 1), "
      "kept AS (UPDATE public.jobs SET state = 'done', finished_at = now(), locked_until = NULL, "
      "last_error = NULL WHERE id = $1 AND state = 'running' AND locked_by = $2 AND unique_key "
      "IS NOT NULL RETURNING 1) SELECT public.raise_unless((SELECT count(*) FROM gone) + "
      "(SELECT count(*) FROM kept) = 1, $3)",
      id, worker, kLeaseLost);
}

void JobStore::HoldLeaseAtCommit(db::Transaction& tx, std::int64_t id, const std::string& worker) {
  tx.AtCommit(
      "WITH held AS (SELECT 1 FROM public.jobs WHERE id = $1 AND state = 'running' AND "
      "locked_by = $2 FOR UPDATE) SELECT public.raise_unless((SELECT count(*) FROM held) = 1, $3)",
      id, worker, kLeaseLost);
}

bool JobStore::Fail(db::Connection& c, std::int64_t id, const std::string& worker,
                    const std::string& error, std::chrono::seconds backoff) {
  auto r = c.Exec(
      "UPDATE public.jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE "
      "'queued' END, run_at = now() + make_interval(secs => $4::bigint), locked_until = NULL, "
      "last_error = $3, finished_at = CASE WHEN attempts >= max_attempts THEN now() END "
      "WHERE id = $1 AND state = 'running' AND locked_by = $2 RETURNING state",
      id, worker, error.substr(0, 4000), backoff.count());
  return !r.Empty() && r.Text(0, 0) == "dead";
}

std::int64_t JobStore::ReleaseExpired(db::Connection& c) {
  return c
      .Exec(
          "UPDATE public.jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' "
          "ELSE 'queued' END, locked_until = NULL, run_at = now(), "
          "last_error = coalesce(last_error, 'the worker holding the job stopped'), "
          "finished_at = CASE WHEN attempts >= max_attempts THEN now() END "
          "WHERE state = 'running' AND locked_until < now()")
      .Affected();
}

std::int64_t JobStore::DeleteFinished(db::Transaction& tx, std::chrono::hours age) {
  return tx
      .Exec(
          "DELETE FROM public.jobs WHERE state = 'done' AND finished_at < now() - "
          "make_interval(hours => $1::int)",
          static_cast<std::int64_t>(age.count()))
      .Affected();
}

bool JobStore::MayVacuum(db::Connection& c) {
  return c
      .Exec(
          "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = "
          "'public.jobs'::regclass")
      .Bool(0, 0);
}

void JobStore::Vacuum(db::Connection& c) {
  c.Exec("VACUUM (SKIP_LOCKED) public.jobs");
}

std::vector<JobStore::QueueSize> JobStore::Sizes(db::Transaction& tx) {
  auto r = tx.Exec(
      "SELECT queue, state, count(*) AS jobs FROM public.jobs WHERE state IN ('queued', "
      "'running', 'dead') GROUP BY queue, state");
  std::vector<QueueSize> out;
  for (int i = 0; i < r.Rows(); ++i) {
    const auto row = r.At(i);
    out.push_back({row.Text("queue"), row.Text("state"), row.Int("jobs")});
  }
  return out;
}

}  // namespace sloth::jobs
