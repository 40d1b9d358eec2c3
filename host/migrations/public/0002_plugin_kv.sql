-- Key-value store of platform-wide plugin instances (those not bound to a tenant); tenant
-- instances use plugin_kv in their own schema.
CREATE TABLE public.plugin_kv (
  instance_id text        NOT NULL,
  key         text        NOT NULL CHECK (length(key) BETWEEN 1 AND 256),
  value       bytea       NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance_id, key)
);
