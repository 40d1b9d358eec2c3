-- Vouchers an admin generates for a plan and a duration (0 = no end). A code is redeemed
-- once, by one organisation: the redeeming UPDATE is its own guard.
CREATE TABLE public.activation_codes (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  code               text        NOT NULL UNIQUE,
  plan_slug          text        NOT NULL REFERENCES public.plans (slug),
  duration_days      integer     NOT NULL CHECK (duration_days IN (0, 30, 90, 365)),
  expires_at         timestamptz,
  created_by         bigint      REFERENCES public.users (id) ON DELETE SET NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  redeemed_by_tenant bigint      REFERENCES public.tenants (id) ON DELETE SET NULL,
  redeemed_at        timestamptz
);
