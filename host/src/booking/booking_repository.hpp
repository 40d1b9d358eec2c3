#pragma once

// The SQL of booking (tenant schema, migrations/tenant/0008_booking.sql): specialists,
// services, hours, exceptions, bookings and their history.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "booking/availability.hpp"
#include "db/pool.hpp"

namespace sloth::booking {

struct Specialist {
  std::int64_t id = 0;
  std::string name;
  bool active = true;
  std::optional<std::string> calendar_id;
};

struct Service {
  std::int64_t id = 0;
  std::string name;
  int duration_slots = 1;
  std::int64_t price = 0;
  std::string currency = "UAH";
  int buffer_before_min = 0, buffer_after_min = 0, min_notice_min = 60, horizon_days = 60;
  bool active = true;
  std::vector<std::int64_t> specialist_ids;
};

struct Hours {
  int weekday = 1;
  LocalInterval interval;
};

struct Exception {
  std::int64_t id = 0;
  std::int64_t specialist_id = 0;
  std::string day;                        // YYYY-MM-DD
  std::optional<LocalInterval> interval;  // none: a day off
  std::string note;
};

struct Client {
  std::string name, phone, channel, external_id;
};

struct Booking {
  std::int64_t id = 0;
  std::int64_t specialist_id = 0, service_id = 0;
  TimePoint start, end, blocked_from, blocked_to;
  std::string status, source;
  Client client;
  std::optional<std::int64_t> conversation_id;
  std::int64_t price = 0;
  std::string currency;
  int version = 1;
  std::string created_at;
  // Its event in the connected calendar (empty when none): state synced | failed |
  // deleted_in_calendar.
  struct CalendarEvent {
    std::string calendar_id, event_id, state;
  } calendar;
  bool client_confirmed = false;  // through a reminder's Confirm
};

struct BookingFilter {
  std::optional<Interval> during;  // starts within
  std::optional<std::int64_t> specialist_id;
  std::optional<std::string> client;  // name, phone or external id
  std::optional<std::string> status;
  std::optional<std::pair<std::string, std::string>> owner;  // (channel, external id)
  bool upcoming_from_now = false;
};

// When clients are reminded (minutes before the start) and the WhatsApp template used
// outside its 24-hour window.
struct ReminderSettings {
  std::vector<int> lead_minutes{1440, 120};
  std::string template_name, template_language;
};

class BookingRepository {
 public:
  int SlotMinutes(db::Transaction& tx);
  void SetSlotMinutes(db::Transaction& tx, int minutes);
  ReminderSettings Reminders(db::Transaction& tx);
  void SetReminders(db::Transaction& tx, const ReminderSettings& s);
  // Records reminder (booking, version, lead) as sent; false when it already was.
  bool ClaimReminder(db::Transaction& tx, std::int64_t booking, int version, int lead_minutes,
                     const std::string& via);
  // The client confirmed through a reminder; false when the booking is not confirmed or
  // the client already had.
  bool MarkClientConfirmed(db::Transaction& tx, std::int64_t booking);

  std::int64_t AddSpecialist(db::Transaction& tx, const Specialist& s);
  bool UpdateSpecialist(db::Transaction& tx, const Specialist& s);
  std::optional<Specialist> FindSpecialist(db::Transaction& tx, std::int64_t id);
  std::vector<Specialist> Specialists(db::Transaction& tx, std::int64_t after, int limit);

  std::int64_t AddService(db::Transaction& tx, const Service& s);
  bool UpdateService(db::Transaction& tx, const Service& s);
  std::optional<Service> FindService(db::Transaction& tx, std::int64_t id);
  std::vector<Service> Services(db::Transaction& tx, std::int64_t after, int limit,
                                bool active_only = false);

  void ReplaceHours(db::Transaction& tx, std::int64_t specialist, const std::vector<Hours>& hours);
  std::vector<Hours> HoursOf(db::Transaction& tx, std::int64_t specialist);
  std::int64_t AddException(db::Transaction& tx, const Exception& e);
  bool RemoveException(db::Transaction& tx, std::int64_t id);
  std::vector<Exception> ExceptionsOf(db::Transaction& tx, std::int64_t specialist,
                                      std::int64_t after, int limit);

  // That local date's working intervals of `specialist`: its exceptions when it has any
  // that day, else the weekday's hours.
  std::vector<LocalInterval> WorkingIntervals(db::Transaction& tx, std::int64_t specialist,
                                              const std::string& day, int weekday);
  // Times taken by live bookings of `specialist` overlapping `range` (buffers included),
  // without booking `except`.
  std::vector<Interval> Busy(db::Transaction& tx, std::int64_t specialist, Interval range,
                             std::int64_t except = 0);

  // Serialises bookings of `specialist` for the rest of the transaction. Concurrent inserts
  // checked by the exclusion constraint can deadlock one another (each waits to see whether
  // the other commits); taken in id order first, they queue instead, and the later one
  // meets the committed booking as a plain exclusion violation.
  void LockSpecialist(db::Transaction& tx, std::int64_t specialist);

  std::optional<Booking> FindBooking(db::Transaction& tx, std::int64_t id, bool lock = false);
  std::optional<Booking> FindByIdempotencyKey(db::Transaction& tx, const std::string& key);
  // Throws db::Error (exclusion violation) when the time is taken.
  std::int64_t InsertBooking(db::Transaction& tx, const Booking& b,
                             const std::optional<std::string>& idempotency_key);
  void MoveBooking(db::Transaction& tx, const Booking& b);
  bool SetStatus(db::Transaction& tx, std::int64_t id, const std::string& from,
                 const std::string& to);
  std::vector<Booking> Bookings(db::Transaction& tx, const BookingFilter& f, std::int64_t after,
                                int limit);
  void AddHistory(db::Transaction& tx, std::int64_t booking, const std::string& event,
                  const nlohmann::json& detail);
  nlohmann::json History(db::Transaction& tx, std::int64_t booking);
};

}  // namespace sloth::booking
