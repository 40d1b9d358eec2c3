#pragma once

// The SQL of the two-way calendar sync (tenant schema, migrations/tenant/0009): what the
// connected calendars hold (calendar_events, calendar_sync) and each booking's event.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "booking/availability.hpp"
#include "db/pool.hpp"

namespace sloth::booking {

struct CalendarEventRow {
  std::string event_id;
  std::optional<TimePoint> start, end;
  bool busy = false;
  bool cancelled = false;  // deleted in the calendar
  std::optional<std::int64_t> booking_id;
};

class CalendarRepository {
 public:
  // Busy times of `calendar_id` overlapping `range`, events of Sloth's own bookings left
  // out (the bookings themselves block their time).
  std::vector<Interval> Busy(db::Transaction& tx, const std::string& calendar_id, Interval range);
  // Calendars whose events matter: those of active specialists.
  std::vector<std::string> SpecialistCalendars(db::Transaction& tx);

  std::optional<std::string> SyncToken(db::Transaction& tx, const std::string& calendar_id);
  // Applies one listing: a full one replaces what was known of the calendar; a partial one
  // upserts changed events and drops cancelled ones.
  void Apply(db::Transaction& tx, const std::string& calendar_id,
             const std::vector<CalendarEventRow>& events, bool full,
             const std::string& next_sync_token);

  // Records the booking's event; `state` synced | failed | deleted_in_calendar.
  void SetBookingEvent(db::Transaction& tx, std::int64_t booking, const std::string& calendar_id,
                       const std::string& event_id, const std::string& state);
  // Marks the live booking whose event this was as deleted in the calendar; its id when
  // that was news. (A deletion comes as the bare event id: Google sends nothing else.)
  std::optional<std::int64_t> MarkEventDeleted(db::Transaction& tx, const std::string& calendar_id,
                                               const std::string& event_id);
};

}  // namespace sloth::booking
