-- The subscription lifecycle: who manages a subscription (an activation code, a trial, or a
-- payment provider), its history, the provider's events applied exactly once, referral
-- rewards, and the integrations that plan gating switches on and off.
ALTER TABLE public.subscriptions
  ADD COLUMN provider                 text CHECK (length(provider) <= 64),
  ADD COLUMN provider_customer_id     text CHECK (length(provider_customer_id) <= 255),
  ADD COLUMN provider_subscription_id text CHECK (length(provider_subscription_id) <= 255),
  ADD COLUMN cancel_at_period_end     boolean NOT NULL DEFAULT false,
  ADD COLUMN past_due_since           timestamptz;
CREATE UNIQUE INDEX subscriptions_provider_sub_key
  ON public.subscriptions (provider, provider_subscription_id);

-- Every change of plan or status, with why: the frontend shows it, support reads it, and a
-- subscription that ended (canceled, unpaid) stays visible after the fallback to free.
CREATE TABLE public.subscription_changes (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id   bigint      NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
  from_plan   text,
  to_plan     text        NOT NULL,
  from_status text,
  to_status   text        NOT NULL,
  reason      text        NOT NULL CHECK (length(reason) <= 200),
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscription_changes_tenant_idx ON public.subscription_changes (tenant_id, id);

-- A provider's webhook event is applied in the transaction that inserts its id here, so a
-- redelivery (same id) finds the row and changes nothing.
CREATE TABLE public.payment_events (
  provider    text        NOT NULL,
  event_id    text        NOT NULL CHECK (length(event_id) <= 255),
  type        text        NOT NULL,
  tenant_id   bigint      REFERENCES public.tenants (id) ON DELETE SET NULL,
  outcome     text        NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, event_id)
);

-- Referral status changes are timestamped so "active since" can be shown.
ALTER TABLE public.referrals ADD COLUMN status_changed_at timestamptz NOT NULL DEFAULT now();

-- One row per multiple of 50 ever reached by an organisation's active referrals: the
-- primary key is what makes a reward impossible to grant twice.
CREATE TABLE public.referral_rewards (
  tenant_id    bigint      NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
  threshold    integer     NOT NULL CHECK (threshold > 0 AND threshold % 50 = 0),
  active_count integer     NOT NULL,
  old_plan     text        NOT NULL,
  new_plan     text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, threshold)
);

-- A plugin enabled for an organisation. The row lives in public so that a webhook at
-- /hooks/{plugin}/{id} finds its tenant; every tenant-facing query filters on tenant_id.
-- A plan change disables what the new plan does not allow (disabled_reason says why) and
-- never deletes; an upgrade re-enables what was disabled by the plan.
CREATE TABLE public.integrations (
  id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id        bigint      NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
  plugin_id        text        NOT NULL CHECK (plugin_id ~ '^[a-z0-9_-]{1,64}$'),
  feature          text,
  status           text        NOT NULL DEFAULT 'active'
                   CHECK (status IN ('active', 'disabled', 'error', 'disconnected')),
  disabled_by      text        CHECK (disabled_by IN ('plan', 'user', 'admin')),
  disabled_reason  text        CHECK (length(disabled_reason) <= 500),
  config_encrypted bytea,
  connection       jsonb       NOT NULL DEFAULT '{}',
  received         bigint      NOT NULL DEFAULT 0,
  sent             bigint      NOT NULL DEFAULT 0,
  last_activity_at timestamptz,
  last_error       text        CHECK (length(last_error) <= 1000),
  last_error_at    timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX integrations_tenant_idx ON public.integrations (tenant_id, created_at);

-- Monthly usage windows anchored at the subscription's period start: the latest
-- anchor + k months not after `at`. A yearly (or endless) subscription still counts
-- "per month" limits per month.
CREATE FUNCTION public.usage_period_start(anchor timestamptz, at timestamptz)
RETURNS timestamptz LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN at <= anchor THEN anchor ELSE (
    SELECT CASE WHEN anchor + make_interval(months => k) > at
                THEN anchor + make_interval(months => k - 1)
                ELSE anchor + make_interval(months => k) END
    FROM (SELECT ((extract(year FROM at) - extract(year FROM anchor)) * 12
                  + extract(month FROM at) - extract(month FROM anchor))::int AS k) m)
  END
$$;
