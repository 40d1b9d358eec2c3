-- Plans (synced from config/plans.yaml), users and their tokens, invitations, the
-- subscription every organisation starts with, and referrals. Money is integer minor units.
CREATE TABLE public.plans (
  slug          text        PRIMARY KEY CHECK (slug ~ '^[a-z0-9_]{1,32}$'),
  name          text        NOT NULL,
  sort_order    integer     NOT NULL,
  price_monthly bigint      NOT NULL CHECK (price_monthly >= 0),
  price_yearly  bigint      NOT NULL CHECK (price_yearly >= 0),
  currency      text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  trial_days    integer     NOT NULL CHECK (trial_days >= 0),
  is_public     boolean     NOT NULL,
  watermark     boolean     NOT NULL,
  limits        jsonb       NOT NULL,
  features      text[]      NOT NULL,
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- The organisation's profile lives on its tenant row.
ALTER TABLE public.tenants
  ADD COLUMN business_type         text CHECK (length(business_type) <= 100),
  ADD COLUMN timezone              text NOT NULL DEFAULT 'UTC',
  ADD COLUMN notification_email    text CHECK (length(notification_email) <= 254),
  ADD COLUMN notification_telegram text CHECK (length(notification_telegram) <= 100),
  ADD COLUMN phone                 text CHECK (length(phone) <= 32);

CREATE TABLE public.users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email         text        NOT NULL CHECK (length(email) <= 254),
  password_hash text        NOT NULL,
  role          text        NOT NULL CHECK (role IN ('owner', 'staff', 'admin')),
  tenant_id     bigint      REFERENCES public.tenants (id) ON DELETE CASCADE,
  language      text        NOT NULL DEFAULT 'en',
  referral_code text        NOT NULL UNIQUE,
  is_active     boolean     NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  CHECK ((role = 'admin') = (tenant_id IS NULL))
);
CREATE UNIQUE INDEX users_email_key ON public.users (lower(email));
CREATE INDEX users_tenant_idx ON public.users (tenant_id);

-- Refresh tokens are stored only as SHA-256 hashes. A family is one login's chain of
-- rotations: reuse of a rotated token revokes the whole family.
CREATE TABLE public.refresh_tokens (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id    bigint      NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
  family     uuid        NOT NULL,
  token_hash text        NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL,
  used_at    timestamptz,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_tokens_family_idx ON public.refresh_tokens (family);

CREATE TABLE public.invitations (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tenant_id   bigint      NOT NULL REFERENCES public.tenants (id) ON DELETE CASCADE,
  email       text        NOT NULL,
  role        text        NOT NULL CHECK (role IN ('staff')),
  token_hash  text        NOT NULL UNIQUE,
  invited_by  bigint      REFERENCES public.users (id) ON DELETE SET NULL,
  expires_at  timestamptz NOT NULL,
  accepted_at timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitations_tenant_idx ON public.invitations (tenant_id);

CREATE TABLE public.subscriptions (
  tenant_id            bigint      PRIMARY KEY REFERENCES public.tenants (id) ON DELETE CASCADE,
  plan_slug            text        NOT NULL REFERENCES public.plans (slug),
  status               text        NOT NULL
                       CHECK (status IN ('trialing', 'active', 'past_due', 'canceled', 'unpaid')),
  billing_cycle        text        NOT NULL DEFAULT 'monthly' CHECK (billing_cycle IN ('monthly', 'yearly')),
  trial_end            timestamptz,
  current_period_start timestamptz NOT NULL,
  current_period_end   timestamptz NOT NULL,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE public.referrals (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  referrer_user_id   bigint      NOT NULL REFERENCES public.users (id) ON DELETE CASCADE,
  referred_tenant_id bigint      NOT NULL UNIQUE REFERENCES public.tenants (id) ON DELETE CASCADE,
  status             text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'inactive')),
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX referrals_referrer_idx ON public.referrals (referrer_user_id);
