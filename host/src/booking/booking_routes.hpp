#pragma once

// /api/booking (owner and staff): specialists, services, weekly hours and dated exceptions,
// the slot length, availability, and bookings — create (Idempotency-Key), list (by day,
// specialist, client, status), read with history, move, cancel, complete, no-show.

#include "api/api.hpp"
#include "booking/bookings.hpp"

namespace sloth::booking {

void AddRoutes(api::Api& api, Bookings& bookings);

}  // namespace sloth::booking
