#include "accounts/sign_up.hpp"

#include <spdlog/spdlog.h>

#include "accounts/passwords.hpp"
#include "api/validation.hpp"
#include "billing/subscription_repository.hpp"
#include "errors/error.hpp"

namespace sloth::accounts {

SignedUp SignUp(db::Transaction& tx, db::Migrator& migrator, const SignUpRequest& request,
                const std::string& default_plan) {
  if (!api::IsEmail(request.email)) {
    throw errors::Error(errors::Code::kInvalidArgument, "email is not a valid email address",
                        "email");
  }
  if (auto problem = PasswordProblem(request.password, request.email)) {
    throw errors::Error(errors::Code::kInvalidArgument, "password " + *problem, "password",
                        {{"reason", "weak_password"}});
  }
  if (request.organization_name.empty() || request.organization_name.size() > 200) {
    throw errors::Error(errors::Code::kInvalidArgument,
                        "organization_name must be 1 to 200 characters", "organization_name");
  }
  AccountRepository repo;
  const std::string slug = request.plan.empty() ? default_plan : request.plan;
  const auto plan = billing::FindPlan(tx, slug);
  if (!plan || (!plan->is_public && plan->slug != default_plan)) {
    throw errors::Error(errors::Code::kInvalidArgument, "no such plan", "plan");
  }
  std::optional<User> referrer;
  if (request.referral_code && !request.referral_code->empty()) {
    referrer = repo.FindUserByReferralCode(tx, *request.referral_code);
    if (!referrer)
      throw errors::Error(errors::Code::kInvalidArgument, "unknown referral code", "referral_code");
  }
  // Cheap check first; the unique index settles races below.
  if (repo.FindUserByEmail(tx, request.email)) {
    throw errors::Error(errors::Code::kConflict, "this email is already registered", "email");
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
      throw errors::Error(errors::Code::kConflict, "this email is already registered", "email");
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
