-- Booking, per tenant: specialists, services (duration in slots of booking_settings'
-- slot length), weekly hours and dated exceptions, and bookings. Two live bookings of one
-- specialist never overlap (with their buffers): the exclusion constraint holds whatever
-- the application does. Times are timestamptz; hours are minutes after local midnight in
-- the organisation's IANA zone (public.organizations.timezone).
CREATE TABLE booking_settings (
  id           integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  slot_minutes integer NOT NULL DEFAULT 30 CHECK (slot_minutes IN (5, 10, 15, 20, 30, 60))
);

CREATE TABLE specialists (
  id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  active      boolean     NOT NULL DEFAULT true,
  calendar_id text        CHECK (length(calendar_id) <= 500),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE services (
  id                bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name              text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  duration_slots    integer     NOT NULL CHECK (duration_slots BETWEEN 1 AND 96),
  price             bigint      NOT NULL DEFAULT 0 CHECK (price >= 0),
  currency          text        NOT NULL DEFAULT 'UAH' CHECK (currency ~ '^[A-Z]{3}$'),
  buffer_before_min integer     NOT NULL DEFAULT 0 CHECK (buffer_before_min BETWEEN 0 AND 240),
  buffer_after_min  integer     NOT NULL DEFAULT 0 CHECK (buffer_after_min BETWEEN 0 AND 240),
  min_notice_min    integer     NOT NULL DEFAULT 60 CHECK (min_notice_min BETWEEN 0 AND 43200),
  horizon_days      integer     NOT NULL DEFAULT 60 CHECK (horizon_days BETWEEN 1 AND 730),
  active            boolean     NOT NULL DEFAULT true,
  created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE service_specialists (
  service_id    bigint NOT NULL REFERENCES services (id) ON DELETE CASCADE,
  specialist_id bigint NOT NULL REFERENCES specialists (id) ON DELETE CASCADE,
  PRIMARY KEY (service_id, specialist_id)
);

CREATE TABLE work_hours (
  specialist_id bigint   NOT NULL REFERENCES specialists (id) ON DELETE CASCADE,
  weekday       smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),  -- ISO: 1 = Monday
  start_min     integer  NOT NULL CHECK (start_min BETWEEN 0 AND 1439),
  end_min       integer  NOT NULL CHECK (end_min BETWEEN 1 AND 1440),
  CHECK (start_min < end_min),
  PRIMARY KEY (specialist_id, weekday, start_min)
);

-- A dated exception replaces that day's weekly hours: rows without times = a day off.
CREATE TABLE work_exceptions (
  id            bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  specialist_id bigint  NOT NULL REFERENCES specialists (id) ON DELETE CASCADE,
  day           date    NOT NULL,
  start_min     integer CHECK (start_min BETWEEN 0 AND 1439),
  end_min       integer CHECK (end_min BETWEEN 1 AND 1440),
  note          text    CHECK (length(note) <= 500),
  CHECK ((start_min IS NULL) = (end_min IS NULL) AND (start_min IS NULL OR start_min < end_min))
);
CREATE INDEX work_exceptions_day_idx ON work_exceptions (specialist_id, day);

CREATE TABLE bookings (
  id                 bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  specialist_id      bigint      NOT NULL REFERENCES specialists (id),
  service_id         bigint      NOT NULL REFERENCES services (id),
  starts_at          timestamptz NOT NULL,
  ends_at            timestamptz NOT NULL,
  -- The time the booking keeps the specialist: its buffers included.
  blocked_from       timestamptz NOT NULL,
  blocked_to         timestamptz NOT NULL,
  status             text        NOT NULL DEFAULT 'confirmed'
                     CHECK (status IN ('confirmed', 'cancelled', 'completed', 'no_show')),
  client_name        text        CHECK (length(client_name) <= 200),
  client_phone       text        CHECK (length(client_phone) <= 50),
  client_channel     text        CHECK (length(client_channel) <= 64),
  client_external_id text        CHECK (length(client_external_id) <= 255),
  source             text        NOT NULL CHECK (source IN ('agent', 'staff', 'calendar')),
  conversation_id    bigint      REFERENCES conversations (id) ON DELETE SET NULL,
  idempotency_key    text        CHECK (length(idempotency_key) <= 255),
  price              bigint      NOT NULL DEFAULT 0,
  currency           text        NOT NULL DEFAULT 'UAH',
  version            integer     NOT NULL DEFAULT 1,  -- each move adds one
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CHECK (starts_at < ends_at AND blocked_from <= starts_at AND blocked_to >= ends_at),
  CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
    specialist_id WITH =, tstzrange(blocked_from, blocked_to) WITH &&)
    WHERE (status <> 'cancelled')
);
CREATE UNIQUE INDEX bookings_idempotency_idx ON bookings (idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX bookings_day_idx ON bookings (starts_at, id);
CREATE INDEX bookings_client_idx ON bookings (client_channel, client_external_id, starts_at);

-- What happened to a booking: created, moved (from, to), cancelled, completed, no_show.
CREATE TABLE booking_history (
  id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  booking_id bigint      NOT NULL REFERENCES bookings (id) ON DELETE CASCADE,
  event      text        NOT NULL CHECK (event ~ '^[a-z_]{1,32}$'),
  detail     jsonb       NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX booking_history_booking_idx ON booking_history (booking_id, id);

-- A question the assistant asked before acting (book, move, cancel): the client's "yes"
-- runs it, anything else drops it.
ALTER TABLE conversations ADD COLUMN pending_action jsonb;
