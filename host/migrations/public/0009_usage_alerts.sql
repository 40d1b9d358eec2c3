-- The hourly usage check records when an organisation reaches 80% and 100% of a monthly
-- limit, once per metric, window and level; the frontend shows them with the usage.
CREATE TABLE public.usage_alerts (
  tenant_id    bigint      NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
  metric       text        NOT NULL,
  period_start timestamptz NOT NULL,
  level        integer     NOT NULL CHECK (level IN (80, 100)),
  used         bigint      NOT NULL,
  max          bigint      NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, metric, period_start, level)
);
