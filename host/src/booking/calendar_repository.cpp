#include "booking/calendar_repository.hpp"

namespace sloth::booking {
namespace {

TimePoint Epoch(std::int64_t s) {
  return TimePoint{std::chrono::seconds(s)};
}
std::int64_t Seconds(TimePoint t) {
  return t.time_since_epoch().count();
}

}  // namespace

std::vector<Interval> CalendarRepository::Busy(db::Transaction& tx, const std::string& calendar_id,
                                               Interval range) {
  auto r = tx.Exec(
      "SELECT extract(epoch FROM starts_at)::bigint, extract(epoch FROM ends_at)::bigint "
      "FROM calendar_events WHERE calendar_id = $1 AND busy AND booking_id IS NULL AND "
      "starts_at < to_timestamp($3) AND ends_at > to_timestamp($2) ORDER BY starts_at LIMIT 1000",
      calendar_id, Seconds(range.from), Seconds(range.to));
  std::vector<Interval> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back({Epoch(r.Int(i, 0)), Epoch(r.Int(i, 1))});
  return out;
}

std::vector<std::string> CalendarRepository::SpecialistCalendars(db::Transaction& tx) {
  auto r = tx.Exec(
      "SELECT DISTINCT calendar_id FROM specialists WHERE active AND calendar_id IS NOT NULL "
      "AND calendar_id <> '' ORDER BY 1 LIMIT 200");
  std::vector<std::string> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back(r.Text(i, 0));
  return out;
}

std::optional<std::string> CalendarRepository::SyncToken(db::Transaction& tx,
                                                         const std::string& calendar_id) {
  auto r = tx.Exec("SELECT sync_token FROM calendar_sync WHERE calendar_id = $1", calendar_id);
  if (r.Rows() == 0) return std::nullopt;
  return r.OptText(0, 0);
}

void CalendarRepository::Apply(db::Transaction& tx, const std::string& calendar_id,
                               const std::vector<CalendarEventRow>& events, bool full,
                               const std::string& next_sync_token) {
  if (full) tx.Exec("DELETE FROM calendar_events WHERE calendar_id = $1", calendar_id);
  for (const auto& e : events) {
    if (e.cancelled || !e.start || !e.end) {
      tx.Exec("DELETE FROM calendar_events WHERE calendar_id = $1 AND event_id = $2", calendar_id,
              e.event_id);
      continue;
    }
    tx.Exec(
        "INSERT INTO calendar_events (calendar_id, event_id, starts_at, ends_at, busy, "
        "booking_id) VALUES ($1, $2, to_timestamp($3), to_timestamp($4), $5, $6) "
        "ON CONFLICT (calendar_id, event_id) DO UPDATE SET starts_at = excluded.starts_at, "
        "ends_at = excluded.ends_at, busy = excluded.busy, booking_id = excluded.booking_id, "
        "updated_at = now()",
        calendar_id, e.event_id, Seconds(*e.start), Seconds(*e.end), e.busy, e.booking_id);
  }
  tx.Exec(
      "INSERT INTO calendar_sync (calendar_id, sync_token, synced_at, full_syncs) "
      "VALUES ($1, nullif($2, ''), now(), $3) ON CONFLICT (calendar_id) DO UPDATE SET "
      "sync_token = excluded.sync_token, synced_at = now(), "
      "full_syncs = calendar_sync.full_syncs + excluded.full_syncs",
      calendar_id, next_sync_token, full ? 1 : 0);
}

void CalendarRepository::SetBookingEvent(db::Transaction& tx, std::int64_t booking,
                                         const std::string& calendar_id,
                                         const std::string& event_id, const std::string& state) {
  tx.Exec(
      "UPDATE bookings SET calendar_id = nullif($2, ''), calendar_event_id = nullif($3, ''), "
      "calendar_state = nullif($4, '') WHERE id = $1",
      booking, calendar_id, event_id, state);
}

std::optional<std::int64_t> CalendarRepository::MarkEventDeleted(db::Transaction& tx,
                                                                 const std::string& calendar_id,
                                                                 const std::string& event_id) {
  auto r = tx.Exec(
      "UPDATE bookings SET calendar_state = 'deleted_in_calendar' WHERE calendar_id = $1 AND "
      "calendar_event_id = $2 AND status = 'confirmed' AND calendar_state IS DISTINCT FROM "
      "'deleted_in_calendar' RETURNING id",
      calendar_id, event_id);
  if (r.Rows() == 0) return std::nullopt;
  return r.Int(0, 0);
}

}  // namespace sloth::booking
