#pragma once

#include <string>

#include "api/api.hpp"

namespace sloth::referrals {

// GET /api/referrals/my-code, /stats, /list. `public_url` builds the share link.
void AddRoutes(api::Api& api, std::string public_url);

}  // namespace sloth::referrals
