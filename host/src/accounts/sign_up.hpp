#pragma once

// Creating an organisation with its owner: used by POST /api/auth/register and by
// `sloth-admin tenants create`. Everything happens in the caller's transaction: the
// tenant row, the owner, the tenant schema at the latest migration, the trial
// subscription and the referral — all of it or none of it.

#include <optional>
#include <string>

#include "accounts/account_repository.hpp"
#include "billing/plan_catalog.hpp"
#include "db/migrations.hpp"
#include "tenants/tenant_repository.hpp"

namespace sloth::accounts {

struct SignUpRequest {
  std::string email;
  std::string password;  // checked against the policy here
  std::string organization_name;
  std::string plan;  // empty = the default plan
  std::optional<std::string> referral_code;
  std::string language = "en";
};

struct SignedUp {
  User owner;
  tenants::Tenant tenant;
  billing::Plan plan;
};

// Throws http::ApiError (400 naming the field, 409 for a taken email).
SignedUp SignUp(db::Transaction& tx, db::Migrator& migrator, const SignUpRequest& request,
                const std::string& default_plan);

}  // namespace sloth::accounts
