#pragma once

// Booking's tools for the agent (agent/tools.hpp): list_services, find_slots, book, move,
// cancel, my_bookings. A client acts only on their own bookings (channel and external id of
// the conversation). book, move and cancel first return the question to confirm and the
// action as "confirm"; the agent runs it with confirmed: true on the client's yes. Replies
// in the client's language.

#include "agent/tools.hpp"
#include "booking/bookings.hpp"

namespace sloth::booking {

void RegisterTools(agent::ToolRegistry& tools, Bookings& bookings);

}  // namespace sloth::booking
