#pragma once

// Free start times, computed without the database so the rules can be tested alone: a
// start is offered when the service fits inside the specialist's working interval that day
// (weekly hours, or that date's exception), its time with buffers touches no busy range
// (live bookings with their buffers, calendar busy times), it is at least the minimum
// notice ahead and within the booking window. Local times are in the organisation's IANA
// zone: a start that does not exist (the hour skipped in spring) is not offered, one that
// exists twice (autumn) is offered once, at its first occurrence, and durations are real
// elapsed minutes.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <date/date.h>

namespace sloth::booking {

using TimePoint = std::chrono::sys_seconds;

struct Interval {
  TimePoint from, to;
};

// Minutes after local midnight: [start_min, end_min).
struct LocalInterval {
  int start_min = 0, end_min = 0;
};

struct ServiceRules {
  int duration_min = 30;
  int buffer_before_min = 0, buffer_after_min = 0;
  int min_notice_min = 0;
  int horizon_days = 60;
};

struct SpecialistDay {
  std::int64_t specialist_id = 0;
  std::vector<LocalInterval> hours;  // that date's working intervals
  std::vector<Interval> busy;        // times taken, buffers included
};

struct Slot {
  TimePoint start, end;
  std::int64_t specialist_id = 0;
};

// Starts every `slot_minutes` from each working interval's beginning, sorted by time,
// then specialist. Throws std::runtime_error for an unknown zone.
std::vector<Slot> FreeSlots(date::year_month_day day, const std::string& zone, int slot_minutes,
                            const ServiceRules& rules,
                            const std::vector<SpecialistDay>& specialists, TimePoint now);

// The local day [midnight, next midnight) in UTC.
Interval DayBounds(date::year_month_day day, const std::string& zone);
// The local calendar date of `t` in `zone`, and its ISO weekday (1 = Monday).
date::year_month_day LocalDate(TimePoint t, const std::string& zone);
int IsoWeekday(date::year_month_day day);

// "2026-11-28".
std::optional<date::year_month_day> ParseDate(std::string_view text);
std::string FormatDate(date::year_month_day day);
// "09:30" -> 570; "24:00" -> 1440.
std::optional<int> ParseClock(std::string_view text);
std::string FormatClock(int minutes);
// RFC 3339 with "Z" or an offset; nullopt when malformed.
std::optional<TimePoint> ParseTimestamp(std::string_view text);
// RFC 3339 in the zone's local time with its offset: 2026-11-28T10:00:00+02:00.
std::string FormatTimestamp(TimePoint t, const std::string& zone);

}  // namespace sloth::booking
