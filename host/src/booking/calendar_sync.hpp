#pragma once

// Bookings and the organisation's connected calendar (a plugin of kind calendar, e.g.
// gcalendar), both ways:
//   - booking.calendar_push: a booking's event inserted (with an id Sloth chose and the
//     booking's id in it), patched on a move, deleted on a cancel;
//   - booking.calendar_sync: each calendar's changed events read incrementally (a sync
//     token; the provider's 410 means a full read), stored so their busy times block
//     availability; an event of a live booking deleted in the calendar is marked on the
//     booking and in its history for the salon to see;
//   - booking.calendar_sync_scan (scheduled): a sync job per organisation with a calendar.
// Provider calls run between transactions (staged jobs).

#include <cstdint>
#include <optional>

#include "db/pool.hpp"
#include "integrations/integration_runtime.hpp"
#include "jobs/worker_pool.hpp"

namespace sloth::booking {

class CalendarSync {
 public:
  CalendarSync(db::Pool& pool, integrations::IntegrationRuntime& runtime)
      : pool_(pool), runtime_(runtime) {}

  void Register(jobs::WorkerPool& jobs);
  // Queues the booking's event write in the caller's transaction, when the organisation
  // has a calendar connected.
  void QueuePush(db::Transaction& tx, std::int64_t tenant, std::int64_t booking);

  // The organisation's connected calendar integration, if any.
  std::optional<integrations::Integration> CalendarOf(db::Transaction& tx, std::int64_t tenant);
  // Event ids Sloth gives bookings: base32hex (a-v, 0-9) as Google requires, unique per
  // organisation and booking version.
  static std::string EventId(std::int64_t tenant, std::int64_t booking, int version);

 private:
  void Push(jobs::StagedJobContext& ctx);
  void Sync(jobs::StagedJobContext& ctx);

  db::Pool& pool_;
  integrations::IntegrationRuntime& runtime_;
};

}  // namespace sloth::booking
