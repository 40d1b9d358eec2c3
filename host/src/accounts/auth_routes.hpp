#pragma once

#include <chrono>

#include "api/api.hpp"
#include "db/migrations.hpp"
#include "http/rate_limiter.hpp"

namespace sloth::accounts {

struct AccountsOptions {
  std::chrono::seconds refresh_ttl{30 * 24 * 3600};
  std::chrono::seconds session_lifetime{30 * 24 * 3600};  // from login, whatever refreshes
  std::chrono::seconds invite_ttl{7 * 24 * 3600};
  http::RateLimit login_per_ip{10, std::chrono::minutes(1)};
  http::RateLimit login_per_email{10, std::chrono::minutes(1)};
  std::string default_plan = "free";
};

// /api/auth/* (register, login, refresh, logout, me, profile, invitations, users) and
// /api/admin/tenants.
void AddRoutes(api::Api& api, db::Migrator& migrator, AccountsOptions options);

}  // namespace sloth::accounts
