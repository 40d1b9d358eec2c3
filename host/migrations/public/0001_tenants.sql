-- Every organisation is a tenant with its own schema tenant_<id>; rows here are the
-- registry the host walks to migrate tenant schemas.
CREATE TABLE public.tenants (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  status     text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deactivated')),
  created_at timestamptz NOT NULL DEFAULT now()
);
