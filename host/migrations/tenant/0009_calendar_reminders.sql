-- Two-way calendar sync and reminders.
-- A booking's event in the connected calendar (an id Sloth chose, so a retried insert is
-- not a second event), and what became of it: 'deleted_in_calendar' is reported to the
-- salon, which decides (the booking itself is not cancelled behind its back).
ALTER TABLE bookings
  ADD COLUMN calendar_id       text CHECK (length(calendar_id) <= 1024),
  ADD COLUMN calendar_event_id text CHECK (length(calendar_event_id) <= 1024),
  ADD COLUMN calendar_state    text CHECK (calendar_state IN ('synced', 'failed', 'deleted_in_calendar')),
  ADD COLUMN client_confirmed_at timestamptz;

-- Events read from the connected calendars (incremental sync). Those of our own bookings
-- carry booking_id; the others block their time in availability when busy.
CREATE TABLE calendar_events (
  calendar_id text        NOT NULL,
  event_id    text        NOT NULL,
  starts_at   timestamptz,
  ends_at     timestamptz,
  busy        boolean     NOT NULL,
  booking_id  bigint,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (calendar_id, event_id)
);
CREATE INDEX calendar_events_busy_idx ON calendar_events (calendar_id, starts_at) WHERE busy;

CREATE TABLE calendar_sync (
  calendar_id text        PRIMARY KEY,
  sync_token  text,
  synced_at   timestamptz,
  full_syncs  integer     NOT NULL DEFAULT 0
);

-- Reminder lead times (minutes before the start) and the WhatsApp template used outside
-- its 24-hour window (name and language as approved by Meta).
ALTER TABLE booking_settings
  ADD COLUMN reminder_minutes integer[] NOT NULL DEFAULT '{1440,120}'
    CHECK (cardinality(reminder_minutes) <= 5 AND 0 < ALL (reminder_minutes)
           AND 20160 >= ALL (reminder_minutes)),
  ADD COLUMN reminder_template text CHECK (length(reminder_template) <= 512),
  ADD COLUMN reminder_template_language text CHECK (length(reminder_template_language) <= 15);

-- One row per reminder sent: (booking, the version it was for, lead time). The row is
-- written in the transaction that queues the message, so a job run twice sends once.
CREATE TABLE booking_reminders (
  booking_id   bigint      NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
  version      integer     NOT NULL,
  lead_minutes integer     NOT NULL,
  sent_at      timestamptz NOT NULL DEFAULT now(),
  via          text        NOT NULL CHECK (via IN ('message', 'template')),
  PRIMARY KEY (booking_id, version, lead_minutes)
);
