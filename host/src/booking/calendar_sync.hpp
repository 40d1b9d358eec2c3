#pragma once

// Bookings and the organisation's connected calendar (a plugin of kind calendar, e.g.
// gcalendar), both ways:
//   - booking.calendar_push: a booking's event inserted (with an id Sloth chose and the
//     booking's id in it), patched on a move, deleted on a cancel;
//   - booking.calendar_sync: each calendar's changed events read incrementally (a sync
//     token; the provider's 410 means a full read), stored so their busy times block
//     availability; an event of a live booking deleted in the calendar is marked on the
//     booking and in its history for the salon to see. A calendar shared as free/busy only
//     is read through freeBusy instead (two months ahead);
//   - booking.calendar_sync_scan (scheduled): a sync job per organisation with a calendar.
// Provider calls run between transactions (staged jobs).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "booking/calendar_repository.hpp"
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
  // One calendar's events as read by a sync; `full` replaces what was known of it.
  struct Listing {
    std::string calendar_id, next_token;
    bool full = false;
    std::vector<CalendarEventRow> events;
  };

  void Push(jobs::StagedJobContext& ctx);
  void Sync(jobs::StagedJobContext& ctx);
  // The busy times of a calendar whose events this account may not read.
  static Listing FreeBusyListing(plugins::PluginInstance& inst, const std::string& calendar_id,
                                 TimePoint since, const std::string& why);

  db::Pool& pool_;
  integrations::IntegrationRuntime& runtime_;
};

}  // namespace sloth::booking
