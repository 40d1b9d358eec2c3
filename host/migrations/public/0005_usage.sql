-- Usage per organisation and billing period. Per-period metrics (messages, conversations,
-- photos) count from the subscription's current period start; totals (documents,
-- storage_mb) use the fixed period '1970-01-01'. A row is incremented only while the sum
-- stays within the plan's limit (see billing/usage.cpp), so a limit holds under concurrency.
CREATE TABLE public.usage_counters (
  tenant_id    bigint      NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
  metric       text        NOT NULL CHECK (metric IN ('messages', 'conversations', 'photos', 'documents', 'storage_mb')),
  period_start timestamptz NOT NULL,
  used         bigint      NOT NULL CHECK (used >= 0),
  PRIMARY KEY (tenant_id, metric, period_start)
);
