-- Bookings of one specialist may never overlap: an exclusion constraint on (specialist =,
-- time range &&) needs btree_gist's equality operator class for bigint. A trusted
-- extension (PostgreSQL 13+): the database owner may create it.
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public;
