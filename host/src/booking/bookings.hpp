#pragma once

// Booking's rules over the repository: availability in the organisation's zone; creating
// (idempotent by key), moving (the same booking, its version counted), cancelling and
// closing bookings. A time already taken is refused by the database's exclusion
// constraint and answered as errors::Error conflict whose details carry the nearest free
// alternatives. Used by the REST routes and the agent's tools alike.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "booking/booking_repository.hpp"
#include "db/pool.hpp"

namespace sloth::booking {

// The organisation's IANA zone (UTC when unset), read in the caller's transaction.
std::string OrganisationZone(db::Transaction& tx, std::int64_t tenant);

struct NewBooking {
  std::int64_t service_id = 0;
  std::int64_t specialist_id = 0;
  TimePoint start;
  Client client;
  std::string source = "staff";  // agent | staff | calendar
  std::optional<std::int64_t> conversation_id;
  std::optional<std::string> idempotency_key;
};

struct Created {
  Booking booking;
  bool replayed = false;  // an earlier create with the same idempotency key
};

// Whose booking a change may touch: a client through the agent only their own.
struct Owner {
  std::string channel, external_id;
};

class Bookings {
 public:
  explicit Bookings(db::Pool& pool) : pool_(pool) {}

  // Runs inside the transaction that created, moved or cancelled a booking (its new state
  // given): the calendar's event write and the reminders are queued there, so they exist
  // exactly when the change committed. Register before serving.
  using ChangeHook = std::function<void(db::Transaction&, std::int64_t tenant, const Booking&)>;
  void OnChange(ChangeHook hook) { hooks_.push_back(std::move(hook)); }

  // The organisation's IANA zone (UTC when unset).
  std::string Zone(std::int64_t tenant);

  // Free starts of `service` on local `day` (with every specialist providing it, or one).
  std::vector<Slot> Availability(std::int64_t tenant, std::int64_t service,
                                 date::year_month_day day,
                                 std::optional<std::int64_t> specialist = std::nullopt);
  Created Create(std::int64_t tenant, const NewBooking& b);
  Booking Move(std::int64_t tenant, std::int64_t id, std::optional<TimePoint> start,
               std::optional<std::int64_t> specialist, const std::optional<Owner>& owner = {});
  Booking Cancel(std::int64_t tenant, std::int64_t id, const std::optional<Owner>& owner = {});
  // The client confirmed they will come (a reminder's Confirm): recorded once, in the
  // booking's history too; the calendar's event says so.
  Booking Confirm(std::int64_t tenant, std::int64_t id, const Owner& owner);
  // completed | no_show, from confirmed.
  Booking Close(std::int64_t tenant, std::int64_t id, const std::string& status);

  // The nearest free starts to `around` for the service (that day and the next two),
  // preferring `specialist`; at most `n`.
  std::vector<Slot> Alternatives(std::int64_t tenant, std::int64_t service, TimePoint around,
                                 std::optional<std::int64_t> specialist, int n = 3);

  nlohmann::json ToJson(const Booking& b, const std::string& zone) const;
  nlohmann::json SlotJson(const Slot& s, const std::string& zone) const;

 private:
  // Throws invalid_argument unless `start` is a start the rules allow for `specialist`
  // (hours, notice, window), whatever is booked; returns the specialist.
  Specialist CheckBookable(db::Transaction& tx, const Service& service, std::int64_t specialist,
                           TimePoint start, const std::string& zone);
  [[noreturn]] void Taken(std::int64_t tenant, std::int64_t service, TimePoint start,
                          std::int64_t specialist);

  void Changed(db::Transaction& tx, std::int64_t tenant, const Booking& b) const;

  db::Pool& pool_;
  std::vector<ChangeHook> hooks_;
};

}  // namespace sloth::booking
