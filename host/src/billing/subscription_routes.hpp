#pragma once

#include "api/api.hpp"
#include "billing/payments.hpp"
#include "billing/subscription_lifecycle.hpp"

namespace sloth::billing {

// /api/subscriptions: plans (the public catalogue), current, usage, activate-code,
// checkout, cancel; /api/admin/codes; and the payment provider's webhook at
// /hooks/billing/{plugin}.
void AddRoutes(api::Api& api, db::Pool& pool, Payments& payments, Lifecycle& lifecycle);

}  // namespace sloth::billing
