-- The agent. Prompt versions (every change a new row; the newest is in force); what each
-- reply was made from (chunks, tools, tokens, model, time); who wrote each message; the
-- conversation's handling mode (the agent, or staff after a handoff) and its dialogue
-- summary; and the supervisor's audit trail, whose text is PII-masked before it is written.
CREATE TABLE agent_prompts (
  version        integer     PRIMARY KEY CHECK (version > 0),
  role           text        NOT NULL CHECK (length(role) <= 2000),
  instructions   text        NOT NULL CHECK (length(instructions) <= 20000),
  context        text        NOT NULL CHECK (length(context) <= 20000),
  temperature    real        NOT NULL CHECK (temperature >= 0 AND temperature <= 2),
  max_tokens     integer     NOT NULL CHECK (max_tokens BETWEEN 1 AND 128000),
  refused_topics text[]      NOT NULL DEFAULT '{}' CHECK (cardinality(refused_topics) <= 100),
  author_id      bigint,
  restored_from  integer,
  created_at     timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE conversations
  ADD COLUMN mode         text   NOT NULL DEFAULT 'agent' CHECK (mode IN ('agent', 'human')),
  ADD COLUMN summary      text   CHECK (length(summary) <= 8000),
  ADD COLUMN summary_upto bigint,
  ADD COLUMN user_id      bigint;
CREATE INDEX conversations_idle_idx ON conversations (last_message_at)
  WHERE last_message_at IS NOT NULL;

ALTER TABLE messages
  ADD COLUMN author        text    CHECK (author IN ('client', 'agent', 'staff', 'system')),
  ADD COLUMN reply_to      bigint,
  ADD COLUMN language      text    CHECK (length(language) <= 16),
  ADD COLUMN intent        text    CHECK (length(intent) <= 32),
  ADD COLUMN model         text    CHECK (length(model) <= 200),
  ADD COLUMN tokens_in     integer,
  ADD COLUMN tokens_out    integer,
  ADD COLUMN processing_ms integer,
  ADD COLUMN sources       jsonb,
  ADD COLUMN tools         jsonb;
UPDATE messages SET author = CASE direction WHEN 'in' THEN 'client' ELSE 'agent' END;
ALTER TABLE messages ALTER COLUMN author SET NOT NULL;
-- One answer per burst: a repeated answer job finds its reply already stored.
CREATE UNIQUE INDEX messages_reply_to_idx ON messages (reply_to) WHERE reply_to IS NOT NULL;

CREATE TABLE agent_audit (
  id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  conversation_id bigint      REFERENCES conversations (id) ON DELETE SET NULL,
  event           text        NOT NULL CHECK (event ~ '^[a-z_]{1,64}$'),
  detail          text        CHECK (length(detail) <= 4000),
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX agent_audit_recent_idx ON agent_audit (id DESC);
