#pragma once

// A job queue in PostgreSQL. Enqueue happens inside the caller's transaction, so a job
// exists exactly when the work that asked for it committed. A job's effects and its
// completion commit in one transaction: if the worker dies mid-job, neither happened and
// the job is claimed again when its lease runs out — effects happen once.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/pool.hpp"

namespace sloth::jobs {

struct EnqueueOptions {
  std::string queue = "default";
  std::optional<std::string> unique_key;  // a second enqueue with the same key is a no-op
  std::optional<std::int64_t> tenant_id;  // the handler then runs in the tenant's scope
  std::chrono::milliseconds delay{0};
  int max_attempts = 10;
};

// The notification channel workers listen on; the payload is the queue name.
inline constexpr const char* kNotifyChannel = "sloth_jobs";

// Returns the new job's id, or nullopt when the unique key already exists.
std::optional<std::int64_t> Enqueue(db::Transaction& tx, const std::string& kind,
                                    const nlohmann::json& payload,
                                    const EnqueueOptions& options = {});
// The same job added with the COMMIT of `tx`, in its round trip, for a caller that needs
// no id: the last statement of a transaction holding locks others wait for.
void EnqueueAtCommit(db::Transaction& tx, const std::string& kind, const nlohmann::json& payload,
                     const EnqueueOptions& options = {});

struct Job {
  std::int64_t id = 0;
  std::string queue;
  std::string kind;
  nlohmann::json payload;
  std::optional<std::int64_t> tenant_id;
  int attempts = 0;  // including this one
  int max_attempts = 0;
  double waited_seconds = 0;  // from due to claimed
};

// The SQL of claiming, completing and failing jobs; used by the worker pool.
class JobStore {
 public:
  // What a claim found: the job it leased, if one was due, and how long until the queue's
  // next other queued job is due (zero or less: due now; nullopt: none is queued), read in
  // the same statement so an idle worker knows when to look again without asking.
  struct Claimed {
    std::optional<Job> job;
    std::optional<std::chrono::milliseconds> next_due;
  };
  // Claims the next due job of `queue` under a lease held by `worker`. One statement in
  // autocommit: the claim must be committed (visible to others) before the job runs.
  Claimed Claim(db::Connection& c, const std::string& queue, const std::string& worker,
                std::chrono::seconds lease);
  // Finishes the job when `tx` commits: deleted, or kept as 'done' when it has a unique key.
  // When the lease was lost meanwhile, nothing of `tx` commits and its Commit() throws
  // (db::Error, message kLeaseLost).
  static constexpr const char* kLeaseLost = "lease lost before completion";
  void CompleteAtCommit(db::Transaction& tx, std::int64_t id, const std::string& worker);
  // Lets `tx` commit only while `worker` still holds the job's lease (the job's row locked
  // for the commit), the job staying running; otherwise the same refusal as above.
  void HoldLeaseAtCommit(db::Transaction& tx, std::int64_t id, const std::string& worker);
  // Schedules a retry after `backoff`, or marks the job dead when attempts are exhausted.
  // Returns true when the job is dead.
  bool Fail(db::Connection& c, std::int64_t id, const std::string& worker, const std::string& error,
            std::chrono::seconds backoff);
  // Returns jobs whose lease ran out to the queue (their worker died). Returns how many.
  std::int64_t ReleaseExpired(db::Connection& c);
  // Deletes finished jobs older than `age`.
  std::int64_t DeleteFinished(db::Transaction& tx, std::chrono::hours age);
  // Whether this database role may vacuum public.jobs (it owns the table).
  bool MayVacuum(db::Connection& c);
  // Vacuums public.jobs, on a connection with no transaction open. Every claimed job leaves
  // dead row versions and index entries behind; until they are vacuumed, each claim and
  // each enqueue steps over all of them (the claim index is ordered by due time, and the
  // dead entries are the oldest), so a busy queue slows down between autovacuum's visits
  // (at most one a minute by default). Skipped when another session is vacuuming it.
  void Vacuum(db::Connection& c);
  struct QueueSize {
    std::string queue, state;  // state: queued | running | dead
    std::int64_t jobs = 0;
  };
  std::vector<QueueSize> Sizes(db::Transaction& tx);
};

}  // namespace sloth::jobs
