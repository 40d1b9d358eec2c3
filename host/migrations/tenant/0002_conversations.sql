-- Messaging, per tenant. An inbound event is stored once per (integration, provider id)
-- before the provider gets its 200; a worker turns pending events into conversation
-- messages and a reply. Outbound messages carry their delivery status.
CREATE TABLE inbound_events (
  id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  integration_id uuid        NOT NULL,
  external_id    text        NOT NULL CHECK (length(external_id) <= 255),
  chat_id        text        NOT NULL CHECK (length(chat_id) <= 255),
  type           text        NOT NULL CHECK (type IN ('message', 'edited', 'callback', 'status')),
  payload        jsonb       NOT NULL,
  received_at    timestamptz NOT NULL DEFAULT now(),
  processed_at   timestamptz,
  UNIQUE (integration_id, external_id)
);
CREATE INDEX inbound_events_pending_idx ON inbound_events (integration_id, chat_id, id)
  WHERE processed_at IS NULL;

CREATE TABLE conversations (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  source            text        NOT NULL CHECK (source ~ '^[a-z0-9_-]{1,64}$'),
  integration_id    uuid,
  external_chat_id  text        CHECK (length(external_chat_id) <= 255),
  customer_name     text        CHECK (length(customer_name) <= 200),
  customer_language text        CHECK (length(customer_language) <= 16),
  message_count     integer     NOT NULL DEFAULT 0,
  last_message_at   timestamptz,
  last_inbound_at   timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (integration_id, external_chat_id)
);
CREATE INDEX conversations_recent_idx ON conversations (last_message_at DESC NULLS LAST, id DESC);
CREATE INDEX conversations_source_idx ON conversations (source, id DESC);

CREATE TABLE messages (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  conversation_id bigint      NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  direction       text        NOT NULL CHECK (direction IN ('in', 'out')),
  text            text        CHECK (length(text) <= 65536),
  payload         jsonb       NOT NULL DEFAULT '{}',
  external_id     text        CHECK (length(external_id) <= 255),
  status          text        NOT NULL
                  CHECK (status IN ('received', 'pending', 'sent', 'delivered', 'read', 'failed')),
  error           text        CHECK (length(error) <= 1000),
  created_at      timestamptz NOT NULL DEFAULT now(),
  sent_at         timestamptz
);
CREATE INDEX messages_conversation_idx ON messages (conversation_id, id);
CREATE INDEX messages_external_idx ON messages (external_id) WHERE external_id IS NOT NULL;
