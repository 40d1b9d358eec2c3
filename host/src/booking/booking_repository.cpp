#include "booking/booking_repository.hpp"

namespace sloth::booking {
namespace {

using json = nlohmann::json;

TimePoint Epoch(std::int64_t s) {
  return TimePoint{std::chrono::seconds(s)};
}
std::int64_t Seconds(TimePoint t) {
  return t.time_since_epoch().count();
}

constexpr const char* kServiceColumns =
    "id, name, duration_slots, price, currency, buffer_before_min, buffer_after_min, "
    "min_notice_min, horizon_days, active, (SELECT coalesce(array_to_json(array_agg("
    "specialist_id ORDER BY specialist_id)), '[]')::text FROM service_specialists ss WHERE "
    "ss.service_id = s.id) AS specialist_ids";

Service ReadService(const db::Row& r) {
  Service s;
  s.id = r.Int("id");
  s.name = r.Text("name");
  s.duration_slots = static_cast<int>(r.Int("duration_slots"));
  s.price = r.Int("price");
  s.currency = r.Text("currency");
  s.buffer_before_min = static_cast<int>(r.Int("buffer_before_min"));
  s.buffer_after_min = static_cast<int>(r.Int("buffer_after_min"));
  s.min_notice_min = static_cast<int>(r.Int("min_notice_min"));
  s.horizon_days = static_cast<int>(r.Int("horizon_days"));
  s.active = r.Bool("active");
  s.specialist_ids = json::parse(r.Text("specialist_ids")).get<std::vector<std::int64_t>>();
  return s;
}

constexpr const char* kBookingColumns =
    "id, specialist_id, service_id, extract(epoch FROM starts_at)::bigint AS s, extract(epoch "
    "FROM ends_at)::bigint AS e, extract(epoch FROM blocked_from)::bigint AS bf, extract(epoch "
    "FROM blocked_to)::bigint AS bt, status, source, coalesce(client_name, '') AS client_name, "
    "coalesce(client_phone, '') AS client_phone, coalesce(client_channel, '') AS "
    "client_channel, coalesce(client_external_id, '') AS client_external_id, conversation_id, "
    "price, currency, version, public.rfc3339(created_at) AS created_at, coalesce(calendar_id, '') "
    "AS calendar_id, coalesce(calendar_event_id, '') AS calendar_event_id, "
    "coalesce(calendar_state, '') AS calendar_state, client_confirmed_at IS NOT NULL AS "
    "client_confirmed";

Booking ReadBooking(const db::Row& r) {
  Booking b;
  b.id = r.Int("id");
  b.specialist_id = r.Int("specialist_id");
  b.service_id = r.Int("service_id");
  b.start = Epoch(r.Int("s"));
  b.end = Epoch(r.Int("e"));
  b.blocked_from = Epoch(r.Int("bf"));
  b.blocked_to = Epoch(r.Int("bt"));
  b.status = r.Text("status");
  b.source = r.Text("source");
  b.client = {r.Text("client_name"), r.Text("client_phone"), r.Text("client_channel"),
              r.Text("client_external_id")};
  if (!r.IsNull("conversation_id")) b.conversation_id = r.Int("conversation_id");
  b.price = r.Int("price");
  b.currency = r.Text("currency");
  b.calendar = {r.Text("calendar_id"), r.Text("calendar_event_id"), r.Text("calendar_state")};
  b.client_confirmed = r.Bool("client_confirmed");
  b.version = static_cast<int>(r.Int("version"));
  b.created_at = r.Text("created_at");
  return b;
}

void LinkSpecialists(db::Transaction& tx, std::int64_t service,
                     const std::vector<std::int64_t>& ids) {
  tx.Exec("DELETE FROM service_specialists WHERE service_id = $1", service);
  tx.Exec(
      "INSERT INTO service_specialists (service_id, specialist_id) SELECT $1, unnest($2::bigint[])",
      service, ids);
}

}  // namespace

int BookingRepository::SlotMinutes(db::Transaction& tx) {
  auto r = tx.Exec("SELECT slot_minutes FROM booking_settings");
  return r.Empty() ? 30 : static_cast<int>(r.Int(0, 0));
}

void BookingRepository::SetSlotMinutes(db::Transaction& tx, int minutes) {
  tx.Exec(
      "INSERT INTO booking_settings (id, slot_minutes) VALUES (1, $1) ON CONFLICT (id) DO UPDATE "
      "SET slot_minutes = excluded.slot_minutes",
      minutes);
}

ReminderSettings BookingRepository::Reminders(db::Transaction& tx) {
  auto r = tx.Exec(
      "SELECT array_to_json(reminder_minutes)::text, coalesce(reminder_template, ''), "
      "coalesce(reminder_template_language, '') FROM booking_settings");
  ReminderSettings s;
  if (r.Empty()) return s;
  s.lead_minutes = json::parse(r.Text(0, 0)).get<std::vector<int>>();
  s.template_name = r.Text(0, 1);
  s.template_language = r.Text(0, 2);
  return s;
}

void BookingRepository::SetReminders(db::Transaction& tx, const ReminderSettings& s) {
  tx.Exec(
      "INSERT INTO booking_settings (id, reminder_minutes, reminder_template, "
      "reminder_template_language) VALUES (1, ARRAY(SELECT json_array_elements_text($1::json)"
      "::int), nullif($2, ''), nullif($3, '')) ON CONFLICT (id) DO UPDATE SET reminder_minutes "
      "= excluded.reminder_minutes, reminder_template = excluded.reminder_template, "
      "reminder_template_language = excluded.reminder_template_language",
      json(s.lead_minutes).dump(), s.template_name, s.template_language);
}

bool BookingRepository::ClaimReminder(db::Transaction& tx, std::int64_t booking, int version,
                                      int lead_minutes, const std::string& via) {
  return tx.Exec(
               "INSERT INTO booking_reminders (booking_id, version, lead_minutes, via) VALUES "
               "($1, $2, $3, $4) ON CONFLICT DO NOTHING",
               booking, version, lead_minutes, via)
             .Affected() > 0;
}

bool BookingRepository::MarkClientConfirmed(db::Transaction& tx, std::int64_t booking) {
  return tx.Exec(
               "UPDATE bookings SET client_confirmed_at = now() WHERE id = $1 AND status = "
               "'confirmed' AND client_confirmed_at IS NULL",
               booking)
             .Affected() > 0;
}

std::int64_t BookingRepository::AddSpecialist(db::Transaction& tx, const Specialist& s) {
  return tx
      .Exec("INSERT INTO specialists (name, active, calendar_id) VALUES ($1, $2, $3) RETURNING id",
            s.name, s.active, s.calendar_id)
      .Int(0, 0);
}

bool BookingRepository::UpdateSpecialist(db::Transaction& tx, const Specialist& s) {
  return tx.Exec("UPDATE specialists SET name = $2, active = $3, calendar_id = $4 WHERE id = $1",
                 s.id, s.name, s.active, s.calendar_id)
             .Affected() > 0;
}

std::optional<Specialist> BookingRepository::FindSpecialist(db::Transaction& tx, std::int64_t id) {
  auto r = tx.Exec("SELECT id, name, active, calendar_id FROM specialists WHERE id = $1", id);
  if (r.Empty()) return std::nullopt;
  const auto row = r.At(0);
  return Specialist{row.Int("id"), row.Text("name"), row.Bool("active"),
                    row.OptText("calendar_id")};
}

std::vector<Specialist> BookingRepository::Specialists(db::Transaction& tx, std::int64_t after,
                                                       int limit) {
  auto r = tx.Exec(
      "SELECT id, name, active, calendar_id FROM specialists WHERE id > $1 ORDER BY id LIMIT $2",
      after, limit);
  std::vector<Specialist> out;
  for (int i = 0; i < r.Rows(); ++i) {
    const auto row = r.At(i);
    out.push_back(
        {row.Int("id"), row.Text("name"), row.Bool("active"), row.OptText("calendar_id")});
  }
  return out;
}

std::int64_t BookingRepository::AddService(db::Transaction& tx, const Service& s) {
  const auto id = tx.Exec(
                        "INSERT INTO services (name, duration_slots, price, currency, "
                        "buffer_before_min, buffer_after_min, min_notice_min, horizon_days, "
                        "active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                        s.name, s.duration_slots, s.price, s.currency, s.buffer_before_min,
                        s.buffer_after_min, s.min_notice_min, s.horizon_days, s.active)
                      .Int(0, 0);
  LinkSpecialists(tx, id, s.specialist_ids);
  return id;
}

bool BookingRepository::UpdateService(db::Transaction& tx, const Service& s) {
  const bool found =
      tx.Exec(
            "UPDATE services SET name = $2, duration_slots = $3, price = $4, currency = $5, "
            "buffer_before_min = $6, buffer_after_min = $7, min_notice_min = $8, horizon_days = "
            "$9, active = $10 WHERE id = $1",
            s.id, s.name, s.duration_slots, s.price, s.currency, s.buffer_before_min,
            s.buffer_after_min, s.min_notice_min, s.horizon_days, s.active)
          .Affected() > 0;
  if (found) LinkSpecialists(tx, s.id, s.specialist_ids);
  return found;
}

std::optional<Service> BookingRepository::FindService(db::Transaction& tx, std::int64_t id) {
  auto r = tx.Exec(std::string("SELECT ") + kServiceColumns + " FROM services s WHERE id = $1", id);
  if (r.Empty()) return std::nullopt;
  return ReadService(r.At(0));
}

std::vector<Service> BookingRepository::Services(db::Transaction& tx, std::int64_t after, int limit,
                                                 bool active_only) {
  auto r = tx.Exec(std::string("SELECT ") + kServiceColumns +
                       " FROM services s WHERE id > $1 AND (NOT $3 OR active) ORDER BY id LIMIT $2",
                   after, limit, active_only);
  std::vector<Service> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back(ReadService(r.At(i)));
  return out;
}

void BookingRepository::ReplaceHours(db::Transaction& tx, std::int64_t specialist,
                                     const std::vector<Hours>& hours) {
  tx.Exec("DELETE FROM work_hours WHERE specialist_id = $1", specialist);
  for (const auto& h : hours) {
    tx.Exec(
        "INSERT INTO work_hours (specialist_id, weekday, start_min, end_min) VALUES ($1, $2, $3, "
        "$4)",
        specialist, h.weekday, h.interval.start_min, h.interval.end_min);
  }
}

std::vector<Hours> BookingRepository::HoursOf(db::Transaction& tx, std::int64_t specialist) {
  auto r = tx.Exec(
      "SELECT weekday, start_min, end_min FROM work_hours WHERE specialist_id = $1 ORDER BY "
      "weekday, start_min",
      specialist);
  std::vector<Hours> out;
  for (int i = 0; i < r.Rows(); ++i) {
    const auto row = r.At(i);
    out.push_back({static_cast<int>(row.Int("weekday")),
                   {static_cast<int>(row.Int("start_min")), static_cast<int>(row.Int("end_min"))}});
  }
  return out;
}

std::int64_t BookingRepository::AddException(db::Transaction& tx, const Exception& e) {
  std::optional<int> from, to;
  if (e.interval) {
    from = e.interval->start_min;
    to = e.interval->end_min;
  }
  return tx
      .Exec(
          "INSERT INTO work_exceptions (specialist_id, day, start_min, end_min, note) VALUES ($1, "
          "$2::date, $3, $4, nullif($5, '')) RETURNING id",
          e.specialist_id, e.day, from, to, e.note)
      .Int(0, 0);
}

bool BookingRepository::RemoveException(db::Transaction& tx, std::int64_t id) {
  return tx.Exec("DELETE FROM work_exceptions WHERE id = $1", id).Affected() > 0;
}

std::vector<Exception> BookingRepository::ExceptionsOf(db::Transaction& tx, std::int64_t specialist,
                                                       std::int64_t after, int limit) {
  auto r = tx.Exec(
      "SELECT id, specialist_id, day::text AS day, start_min, end_min, coalesce(note, '') AS note "
      "FROM work_exceptions WHERE specialist_id = $1 AND id > $2 ORDER BY id LIMIT $3",
      specialist, after, limit);
  std::vector<Exception> out;
  for (int i = 0; i < r.Rows(); ++i) {
    const auto row = r.At(i);
    Exception e;
    e.id = row.Int("id");
    e.specialist_id = row.Int("specialist_id");
    e.day = row.Text("day");
    if (!row.IsNull("start_min"))
      e.interval = LocalInterval{static_cast<int>(row.Int("start_min")),
                                 static_cast<int>(row.Int("end_min"))};
    e.note = row.Text("note");
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<LocalInterval> BookingRepository::WorkingIntervals(db::Transaction& tx,
                                                               std::int64_t specialist,
                                                               const std::string& day,
                                                               int weekday) {
  auto r = tx.Exec(
      "SELECT start_min, end_min FROM work_exceptions WHERE specialist_id = $1 AND day = "
      "$2::date ORDER BY start_min NULLS FIRST",
      specialist, day);
  std::vector<LocalInterval> out;
  if (!r.Empty()) {
    for (int i = 0; i < r.Rows(); ++i) {
      if (r.IsNull(i, 0)) return {};  // a day off
      out.push_back({static_cast<int>(r.Int(i, 0)), static_cast<int>(r.Int(i, 1))});
    }
    return out;
  }
  auto w = tx.Exec(
      "SELECT start_min, end_min FROM work_hours WHERE specialist_id = $1 AND weekday = $2 "
      "ORDER BY start_min",
      specialist, weekday);
  for (int i = 0; i < w.Rows(); ++i)
    out.push_back({static_cast<int>(w.Int(i, 0)), static_cast<int>(w.Int(i, 1))});
  return out;
}

std::vector<Interval> BookingRepository::Busy(db::Transaction& tx, std::int64_t specialist,
                                              Interval range, std::int64_t except) {
  auto r = tx.Exec(
      "SELECT extract(epoch FROM blocked_from)::bigint, extract(epoch FROM blocked_to)::bigint "
      "FROM bookings WHERE specialist_id = $1 AND status <> 'cancelled' AND id <> $4 AND "
      "tstzrange(blocked_from, blocked_to) && tstzrange(to_timestamp($2), to_timestamp($3))",
      specialist, Seconds(range.from), Seconds(range.to), except);
  std::vector<Interval> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back({Epoch(r.Int(i, 0)), Epoch(r.Int(i, 1))});
  return out;
}

void BookingRepository::LockSpecialist(db::Transaction& tx, std::int64_t specialist) {
  tx.Exec("SELECT pg_advisory_xact_lock(hashtext('sloth.booking.specialist'), $1::int)",
          static_cast<std::int32_t>(specialist));
}

std::optional<Booking> BookingRepository::FindBooking(db::Transaction& tx, std::int64_t id,
                                                      bool lock) {
  auto r = tx.Exec(std::string("SELECT ") + kBookingColumns + " FROM bookings WHERE id = $1" +
                       (lock ? " FOR UPDATE" : ""),
                   id);
  if (r.Empty()) return std::nullopt;
  return ReadBooking(r.At(0));
}

std::optional<Booking> BookingRepository::FindByIdempotencyKey(db::Transaction& tx,
                                                               const std::string& key) {
  auto r = tx.Exec(
      std::string("SELECT ") + kBookingColumns + " FROM bookings WHERE idempotency_key = $1", key);
  if (r.Empty()) return std::nullopt;
  return ReadBooking(r.At(0));
}

std::int64_t BookingRepository::InsertBooking(db::Transaction& tx, const Booking& b,
                                              const std::optional<std::string>& key) {
  const auto id =
      tx.Exec(
            "INSERT INTO bookings (specialist_id, service_id, starts_at, ends_at, blocked_from, "
            "blocked_to, client_name, client_phone, client_channel, client_external_id, source, "
            "conversation_id, idempotency_key, price, currency) VALUES ($1, $2, to_timestamp($3), "
            "to_timestamp($4), to_timestamp($5), to_timestamp($6), nullif($7, ''), nullif($8, ''), "
            "nullif($9, ''), nullif($10, ''), $11, $12, $13, $14, $15) RETURNING id",
            b.specialist_id, b.service_id, Seconds(b.start), Seconds(b.end),
            Seconds(b.blocked_from), Seconds(b.blocked_to), b.client.name, b.client.phone,
            b.client.channel, b.client.external_id, b.source, b.conversation_id, key, b.price,
            b.currency)
          .Int(0, 0);
  AddHistory(tx, id, "created", {{"source", b.source}});
  return id;
}

void BookingRepository::MoveBooking(db::Transaction& tx, const Booking& b) {
  tx.Exec(
      "UPDATE bookings SET specialist_id = $2, starts_at = to_timestamp($3), ends_at = "
      "to_timestamp($4), blocked_from = to_timestamp($5), blocked_to = to_timestamp($6), version = "
      "version + 1, updated_at = now() WHERE id = $1",
      b.id, b.specialist_id, Seconds(b.start), Seconds(b.end), Seconds(b.blocked_from),
      Seconds(b.blocked_to));
}

bool BookingRepository::SetStatus(db::Transaction& tx, std::int64_t id, const std::string& from,
                                  const std::string& to) {
  return tx.Exec(
               "UPDATE bookings SET status = $3, updated_at = now() WHERE id = $1 AND status = $2",
               id, from, to)
             .Affected() > 0;
}

std::vector<Booking> BookingRepository::Bookings(db::Transaction& tx, const BookingFilter& f,
                                                 std::int64_t after, int limit) {
  std::optional<std::int64_t> from, to;
  if (f.during) {
    from = Seconds(f.during->from);
    to = Seconds(f.during->to);
  }
  std::optional<std::string> channel, external;
  if (f.owner) {
    channel = f.owner->first;
    external = f.owner->second;
  }
  auto r = tx.Exec(
      std::string("SELECT ") + kBookingColumns +
          " FROM bookings WHERE id > $1 AND ($3::bigint IS NULL OR starts_at >= to_timestamp($3)) "
          "AND ($4::bigint IS NULL OR starts_at < to_timestamp($4)) AND ($5::bigint IS NULL OR "
          "specialist_id = $5) AND ($6::text IS NULL OR client_name ILIKE '%' || $6 || '%' OR "
          "client_phone = $6 OR client_external_id = $6) AND ($7::text IS NULL OR status = $7) "
          "AND ($8::text IS NULL OR (client_channel = $8 AND client_external_id = $9)) AND (NOT "
          "$10 OR starts_at > now()) ORDER BY id LIMIT $2",
      after, limit, from, to, f.specialist_id, f.client, f.status, channel, external,
      f.upcoming_from_now);
  std::vector<Booking> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back(ReadBooking(r.At(i)));
  return out;
}

void BookingRepository::AddHistory(db::Transaction& tx, std::int64_t booking,
                                   const std::string& event, const json& detail) {
  tx.Exec("INSERT INTO booking_history (booking_id, event, detail) VALUES ($1, $2, $3::jsonb)",
          booking, event, detail.dump());
}

json BookingRepository::History(db::Transaction& tx, std::int64_t booking) {
  auto r = tx.Exec(
      "SELECT event, detail::text, public.rfc3339(created_at) FROM booking_history WHERE "
      "booking_id = $1 ORDER BY id",
      booking);
  json out = json::array();
  for (int i = 0; i < r.Rows(); ++i) {
    out.push_back(
        {{"event", r.Text(i, 0)}, {"detail", json::parse(r.Text(i, 1))}, {"at", r.Text(i, 2)}});
  }
  return out;
}

}  // namespace sloth::booking
