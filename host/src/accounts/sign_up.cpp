#include "accounts/sign_up.hpp"

#include <spdlog/spdlog.h>

#include "accounts/passwords.hpp"
#include "api/validation.hpp"
#include "billing/subscription_repository.hpp"
#include "http/api_error.hpp"

namespace sloth::accounts {

using http::ApiError;

SignedUp SignUp(db::Transaction& tx, db::Migrator& migrator, const SignUpRequest& request,
                const std::string& default_plan) {
  if (!api::IsEmail(request.email)) {
    throw ApiError(400, "invalid_argument", "email is not a valid email address", "email");
  }
  if (auto problem = PasswordProblem(request.password, request.email)) {
    throw ApiError(400, "weak_password", "password " + *problem, "password");
  }
  if (request.organization_name.empty() || request.organization_name.size() > 200) {
    throw ApiError(400, "invalid_argument", "organization_name must be 1 to 200 characters",
                   "organization_name");
  }
  AccountRepository repo;
  const std::string slug = request.plan.empty() ? default_plan : request.plan;
  const auto plan = billing::FindPlan(tx, slug);
  if (!plan || (!plan->is_public && plan->slug != default_plan)) {
    throw ApiError(400, "invalid_argument", "no such plan", "plan");
  }
  std::optional<User> referrer;
  if (request.referral_code && !request.referral_code->empty()) {
    referrer = repo.FindUserByReferralCode(tx, *request.referral_code);
    if (!referrer)
      throw ApiError(400, "invalid_argument", "unknown referral code", "referral_code");
  }
  // Cheap check first; the unique index settles races below.
  if (repo.FindUserByEmail(tx, request.email)) {
    throw ApiError(409, "conflict", "this email is already registered", "email");
  }
  const std::string hash = HashPassword(request.password);
  tenants::TenantRepository tenants(migrator);
  SignedUp out{User{}, tenants.Insert(tx, request.organization_name), *plan};
  try {
    // Before the schema, so a sign-up racing another with the same email fails fast.
    out.owner =
        repo.InsertUser(tx, request.email, hash, "owner", out.tenant.id.value, request.language);
  } catch (const db::Error& e) {
    if (e.IsUniqueViolation() &&
        std::string(e.what()).find("users_email_key") != std::string::npos) {
      throw ApiError(409, "conflict", "this email is already registered", "email");
    }
    throw;
  }
  tenants.CreateSchema(tx, out.tenant.id);
  billing::SubscriptionRepository().InsertInitial(tx, out.tenant.id.value, plan->slug,
                                                  plan->trial_days);
  if (referrer) repo.InsertReferral(tx, referrer->id, out.tenant.id.value);
  spdlog::info("accounts: organisation {} signed up (plan {})", out.tenant.id.value, plan->slug);
  return out;
}

}  // namespace sloth::accounts
