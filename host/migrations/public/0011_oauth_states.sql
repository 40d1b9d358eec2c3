-- OAuth consents in progress. While the salon's browser is at the provider, the PKCE
-- verifier (sealed) waits here under the state's nonce; the callback takes the row, so a
-- state is good once, and only until it expires.
CREATE TABLE oauth_states (
  nonce      text        PRIMARY KEY CHECK (length(nonce) BETWEEN 16 AND 128),
  tenant_id  bigint      NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  plugin_id  text        NOT NULL CHECK (length(plugin_id) <= 64),
  verifier   text        NOT NULL,
  request    jsonb       NOT NULL DEFAULT '{}',
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oauth_states_expiry_idx ON oauth_states (expires_at);
