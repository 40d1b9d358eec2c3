#pragma once

// Reminders with one-tap answers. A booking made through a channel gets a job per lead
// time (booking_settings.reminder_minutes, default 24 h and 2 h), queued in the
// transaction that made or moved it. When the job runs it checks the booking is still
// confirmed and of the version it was queued for (a cancel or a move outdates it; a move
// queues its own), records the reminder as sent — the row's key makes a second run send
// nothing — and queues the message through the channel in the same transaction: text in
// the client's language with Confirm / Reschedule / Cancel buttons (Telegram inline
// keyboard, WhatsApp reply buttons), or, on WhatsApp outside its 24-hour window, the
// salon's approved template. A button answer ("bk:<id>:<action>") comes back as a
// routed callback (booking.reply): Confirm records the client's confirmation, Cancel
// cancels (once, however often it is tapped), Reschedule asks for a new time and leaves
// the move to the assistant; each is written back to the calendar by the booking's hooks.

#include <cstdint>

#include "booking/bookings.hpp"
#include "db/pool.hpp"
#include "jobs/worker_pool.hpp"

namespace sloth::booking {

class Reminders {
 public:
  static constexpr const char* kCallbackPrefix = "bk:";
  static constexpr const char* kReplyJob = "booking.reply";

  Reminders(db::Pool& pool, Bookings& bookings) : pool_(pool), bookings_(bookings) {}

  void Register(jobs::WorkerPool& jobs);
  // A Bookings change hook: queues the reminders of the booking's current version.
  static void Schedule(db::Transaction& tx, std::int64_t tenant, const Booking& b);

 private:
  void Remind(jobs::JobContext& ctx);
  void Reply(jobs::StagedJobContext& ctx);

  db::Pool& pool_;
  Bookings& bookings_;
};

}  // namespace sloth::booking
