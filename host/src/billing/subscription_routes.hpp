#pragma once

#include "api/api.hpp"

namespace sloth::billing {

// GET /api/subscriptions/plans (the public catalogue), /current and /usage.
void AddRoutes(api::Api& api);

}  // namespace sloth::billing
