#include "booking/availability.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include <date/tz.h>

namespace sloth::booking {
namespace {

using std::chrono::minutes;

const date::time_zone* Zone(const std::string& zone) {
  try {
    return date::locate_zone(zone.empty() ? "UTC" : zone);
  } catch (const std::exception& e) {
    throw std::runtime_error("unknown time zone " + zone);
  }
}

// The instant of a local time; nullopt when the zone skips it (spring forward).
std::optional<TimePoint> ToSys(const date::time_zone* z, date::local_seconds local) {
  const auto info = z->get_info(local);
  if (info.result == date::local_info::nonexistent) return std::nullopt;
  return std::chrono::time_point_cast<std::chrono::seconds>(
      z->to_sys(local, date::choose::earliest));
}

bool Overlaps(const Interval& a, const Interval& b) {
  return a.from < b.to && b.from < a.to;
}

int Number(std::string_view s, std::size_t at, std::size_t n) {
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (i >= s.size() || s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

}  // namespace

std::vector<Slot> FreeSlots(date::year_month_day day, const std::string& zone, int slot_minutes,
                            const ServiceRules& rules,
                            const std::vector<SpecialistDay>& specialists, TimePoint now) {
  const auto* z = Zone(zone);
  const date::local_days midnight{day};
  const TimePoint earliest = now + minutes(rules.min_notice_min);
  const TimePoint latest = now + date::days(rules.horizon_days);
  std::vector<Slot> out;
  for (const auto& s : specialists) {
    for (const auto& h : s.hours) {
      // The interval's real end; when its local end is skipped, the transition point.
      const auto end_local = midnight + minutes(h.end_min);
      const TimePoint end = std::chrono::time_point_cast<std::chrono::seconds>(
          z->to_sys(end_local, date::choose::earliest));
      TimePoint last_start{};
      for (int m = h.start_min; m + rules.duration_min <= h.end_min + 60; m += slot_minutes) {
        const auto start = ToSys(z, midnight + minutes(m));
        if (!start || *start <= last_start) continue;  // skipped hour; the repeated hour
        const TimePoint finish = *start + minutes(rules.duration_min);
        if (finish > end) break;
        last_start = *start;
        if (*start < earliest || *start > latest) continue;
        const Interval blocked{*start - minutes(rules.buffer_before_min),
                               finish + minutes(rules.buffer_after_min)};
        const bool free = std::none_of(s.busy.begin(), s.busy.end(),
                                       [&](const Interval& b) { return Overlaps(blocked, b); });
        if (free) out.push_back({*start, finish, s.specialist_id});
      }
    }
  }
  std::sort(out.begin(), out.end(), [](const Slot& a, const Slot& b) {
    return a.start != b.start ? a.start < b.start : a.specialist_id < b.specialist_id;
  });
  return out;
}

Interval DayBounds(date::year_month_day day, const std::string& zone) {
  const auto* z = Zone(zone);
  const date::local_days midnight{day};
  auto sys = [&](date::local_seconds l) {
    return std::chrono::time_point_cast<std::chrono::seconds>(z->to_sys(l, date::choose::earliest));
  };
  return {sys(midnight), sys(midnight + date::days(1))};
}

date::year_month_day LocalDate(TimePoint t, const std::string& zone) {
  const auto local = Zone(zone)->to_local(t);
  return date::year_month_day{date::floor<date::days>(local)};
}

int IsoWeekday(date::year_month_day day) {
  return static_cast<int>(date::weekday{date::sys_days{day}}.iso_encoding());
}

std::optional<date::year_month_day> ParseDate(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  const int y = Number(s, 0, 4), m = Number(s, 5, 2), d = Number(s, 8, 2);
  if (y < 1970 || m < 1 || d < 1) return std::nullopt;
  const date::year_month_day day{date::year{y}, date::month{static_cast<unsigned>(m)},
                                 date::day{static_cast<unsigned>(d)}};
  if (!day.ok()) return std::nullopt;
  return day;
}

std::string FormatDate(date::year_month_day day) {
  return date::format("%F", date::sys_days{day});
}

std::optional<int> ParseClock(std::string_view s) {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  const int h = Number(s, 0, 2), m = Number(s, 3, 2);
  if (h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

std::string FormatClock(int minutes_of_day) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minutes_of_day / 60, minutes_of_day % 60);
  return buf;
}

std::optional<TimePoint> ParseTimestamp(std::string_view s) {
  // YYYY-MM-DDTHH:MM(:SS)?(Z|±HH:MM)
  if (s.size() < 17) return std::nullopt;
  const auto day = ParseDate(s.substr(0, 10));
  if (!day || (s[10] != 'T' && s[10] != 't' && s[10] != ' ')) return std::nullopt;
  const auto clock = ParseClock(s.substr(11, 5));
  if (!clock) return std::nullopt;
  std::size_t i = 16;
  int seconds = 0;
  if (i < s.size() && s[i] == ':') {
    seconds = Number(s, i + 1, 2);
    if (seconds < 0 || seconds > 59) return std::nullopt;
    i += 3;
  }
  int offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size()) {
    offset = 0;
  } else if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    const int oh = Number(s, i + 1, 2), om = Number(s, i + 4, 2);
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return std::nullopt;
    offset = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  return TimePoint{date::sys_days{*day}} + minutes(*clock - offset) + std::chrono::seconds(seconds);
}

std::string FormatTimestamp(TimePoint t, const std::string& zone) {
  const auto* z = Zone(zone);
  const auto info = z->get_info(t);
  const auto local = t + info.offset;
  const auto off = std::chrono::duration_cast<minutes>(info.offset).count();
  char buf[24];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", off < 0 ? '-' : '+',
                static_cast<int>(std::abs(off) / 60), static_cast<int>(std::abs(off) % 60));
  return date::format("%FT%T", local) + buf;
}

}  // namespace sloth::booking
