-- The per-instance key-value store plugins reach through the host services table
-- (webhook secrets, long-poll offsets, tokens). Lives in the tenant's schema, so one
-- tenant's plugins can never read another's.
CREATE TABLE plugin_kv (
  instance_id text        NOT NULL,
  key         text        NOT NULL CHECK (length(key) BETWEEN 1 AND 256),
  value       bytea       NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (instance_id, key)
);
