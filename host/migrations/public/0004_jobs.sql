-- The job queue. A job is claimed with FOR UPDATE SKIP LOCKED under a lease; a worker that
-- dies loses the lease and the job is claimed again. unique_key deduplicates (the
-- scheduler's key per slot makes each slot run once across hosts). Finished jobs are kept
-- (state 'done') when they carry a unique key, until the cleanup job removes them, so their
-- keys keep deduplicating; other finished jobs are deleted.
CREATE TABLE public.jobs (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  queue        text        NOT NULL CHECK (queue ~ '^[a-z0-9_.-]{1,64}$'),
  kind         text        NOT NULL CHECK (length(kind) BETWEEN 1 AND 128),
  payload      jsonb       NOT NULL DEFAULT '{}',
  tenant_id    bigint      REFERENCES public.tenants (id) ON DELETE CASCADE,
  unique_key   text        CHECK (length(unique_key) <= 256),
  state        text        NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'dead')),
  attempts     integer     NOT NULL DEFAULT 0,
  max_attempts integer     NOT NULL DEFAULT 10 CHECK (max_attempts >= 1),
  run_at       timestamptz NOT NULL DEFAULT now(),
  locked_until timestamptz,
  locked_by    text,
  last_error   text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  started_at   timestamptz,
  finished_at  timestamptz
);
CREATE UNIQUE INDEX jobs_unique_key ON public.jobs (queue, unique_key) WHERE unique_key IS NOT NULL;
CREATE INDEX jobs_claim_idx ON public.jobs (queue, run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_lease_idx ON public.jobs (locked_until) WHERE state = 'running';
CREATE INDEX jobs_finished_idx ON public.jobs (finished_at) WHERE state = 'done';
