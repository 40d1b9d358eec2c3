#include "accounts/auth_routes.hpp"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include <spdlog/spdlog.h>

#include "accounts/account_repository.hpp"
#include "accounts/passwords.hpp"
#include "accounts/sign_up.hpp"
#include "api/validation.hpp"
#include "billing/plan_catalog.hpp"
#include "errors/error.hpp"
#include "http/api_error.hpp"
#include "http/client_address.hpp"
#include "tenants/tenant_repository.hpp"

namespace sloth::accounts {
namespace {

using json = nlohmann::json;

const std::set<std::string> kLanguages = {"en", "uk", "pl", "de"};

std::string Language(const json& body) {
  const auto lang = api::OptionalString(body, "language", 2);
  if (!lang || lang->empty()) return "en";
  if (!kLanguages.count(*lang)) {
    throw errors::Error(errors::Code::kInvalidArgument, "language must be one of en, uk, pl, de",
                        "language");
  }
  return *lang;
}

std::string NewPassword(const json& body, const std::string& email) {
  if (!body.contains("password") || !body["password"].is_string()) {
    throw errors::Error(errors::Code::kInvalidArgument, "password is required", "password");
  }
  const std::string password = body["password"].get<std::string>();
  if (auto problem = PasswordProblem(password, email)) {
    throw errors::Error(errors::Code::kInvalidArgument, "password " + *problem, "password",
                        {{"reason", "weak_password"}});
  }
  return password;
}

json UserJson(const User& u) {
  return {{"id", u.id}, {"email", u.email}, {"role", u.role}};
}

// Issues an access token and starts (or continues) a refresh family.
json IssueTokens(api::Context& ctx, AccountRepository& repo, const User& u,
                 const std::string& family, const AccountsOptions& o, const TokenService& tokens) {
  Principal p{u.id, u.role, u.tenant_id, family};
  const std::string refresh = TokenService::NewOpaqueToken();
  repo.InsertRefresh(ctx.tx, u.id, family, TokenService::Hash(refresh), o.refresh_ttl.count(),
                     o.session_lifetime.count());
  return {{"access_token", tokens.IssueAccess(p)},
          {"refresh_token", refresh},
          {"token_type", "Bearer"},
          {"expires_in", tokens.access_ttl().count()}};
}

// This host refuses the ended session from the next request on; others within
// auth.session_check_ms (accounts/session_cache.hpp).
void ForgetAfterCommit(api::Context& ctx, const std::string& family) {
  ctx.AfterCommit([&sessions = ctx.sessions, family] { sessions.ForgetSession(family); });
}

json OrganizationJson(const Organization& o) {
  auto opt = [](const std::optional<std::string>& v) { return v ? json(*v) : json(nullptr); };
  return {{"id", o.id},
          {"name", o.name},
          {"plan", o.plan},
          {"status", o.status},
          {"business_type", opt(o.business_type)},
          {"timezone", o.timezone},
          {"notification_email", opt(o.notification_email)},
          {"notification_telegram", opt(o.notification_telegram)},
          {"phone", opt(o.phone)}};
}

json MeJson(const User& u, const std::optional<Organization>& org) {
  json me = {{"id", u.id},
             {"email", u.email},
             {"role", u.role},
             {"language", u.language},
             {"referral_code", u.referral_code},
             {"organization", nullptr}};
  if (org) me["organization"] = OrganizationJson(*org);
  return me;
}

json MeJson(db::Transaction& tx, AccountRepository& repo, const User& u) {
  return MeJson(u, u.tenant_id ? repo.FindOrganization(tx, *u.tenant_id) : std::nullopt);
}

std::string RefreshToken(const json& body) {
  return api::RequiredString(body, "refresh_token", 128);
}

}  // namespace

void AddRoutes(api::Api& api, db::Migrator& migrator, AccountsOptions options) {
  const auto& tokens = api.tokens();
  auto& limiter = api.limiter();

  api.Add("POST", "/api/auth/register", api::Access::kPublic,
          [&migrator, &tokens, options](api::Context& ctx) {
            const json body = ctx.request.Json();
            api::OnlyFields(body, {"email", "password", "organization_name", "plan",
                                   "referral_code", "language"});
            const std::string email = api::RequiredEmail(body, "email");
            const std::string password = NewPassword(body, email);
            const std::string org_name = api::RequiredString(body, "organization_name", 200);
            const std::string language = Language(body);
            const std::string plan_slug =
                api::OptionalString(body, "plan", 32).value_or(options.default_plan);
            const auto referral = api::OptionalString(body, "referral_code", 32);

            SignUpRequest req{email, password, org_name, plan_slug, referral, language};
            const auto done = SignUp(ctx.tx, migrator, req, options.default_plan);
            AccountRepository repo;
            const User& user = done.owner;
            json out = IssueTokens(ctx, repo, user, repo.NewFamily(ctx.tx), options, tokens);
            out["user"] = UserJson(user);
            out["organization"] = {
                {"id", done.tenant.id.value}, {"name", done.tenant.name}, {"plan", done.plan.slug}};
            return http::Response::Json(201, out);
          });

  api.Add("POST", "/api/auth/login", api::Access::kPublic,
          [&tokens, &limiter, options](api::Context& ctx) {
            const json body = ctx.request.Json();
            api::OnlyFields(body, {"email", "password"});
            const std::string email = api::RequiredString(body, "email", 254);
            if (!body.contains("password") || !body["password"].is_string()) {
              throw errors::Error(errors::Code::kInvalidArgument, "password is required",
                                  "password");
            }
            std::string key = email;
            std::transform(key.begin(), key.end(), key.begin(),
                           [](unsigned char c) { return std::tolower(c); });
            api::EnforceLimit(limiter, "login-ip:" + http::RateKey(ctx.request.remote_ip),
                              options.login_per_ip);
            api::EnforceLimit(limiter, "login-email:" + key, options.login_per_email);
            AccountRepository repo;
            const auto user = repo.FindUserByEmail(ctx.tx, email);
            // Verify against a dummy hash for unknown emails: same cost, no account probing.
            const bool ok = VerifyPassword(user ? user->password_hash : DummyHash(),
                                           body["password"].get<std::string>());
            if (!user || !ok || !repo.IsActive(ctx.tx, user->id)) {
              throw errors::Error(errors::Code::kUnauthenticated, "invalid email or password");
            }
            return http::Response::Json(
                200, IssueTokens(ctx, repo, *user, repo.NewFamily(ctx.tx), options, tokens));
          });

  api.Add("POST", "/api/auth/refresh", api::Access::kPublic, [&tokens, options](api::Context& ctx) {
    const json body = ctx.request.Json();
    api::OnlyFields(body, {"refresh_token"});
    AccountRepository repo;
    const auto rec = repo.LockRefresh(ctx.tx, TokenService::Hash(RefreshToken(body)));
    const auto refused = [](const std::string& why) {
      return http::Response::Json(401, http::ErrorEnvelope("unauthenticated", why));
    };
    if (!rec) return refused("unknown refresh token");
    if (rec->revoked) return refused("the refresh token was revoked");
    if (rec->used) {
      // Reuse of a rotated token means it leaked: end the whole session. Answered (not
      // thrown) so the revocation commits.
      repo.RevokeFamily(ctx.tx, rec->family);
      ForgetAfterCommit(ctx, rec->family);
      spdlog::warn("accounts: refresh token reuse for user {}; session revoked", rec->user_id);
      return refused("the refresh token was already used; the session is revoked");
    }
    if (rec->expired) return refused("the refresh token has expired");
    const auto user = repo.FindUser(ctx.tx, rec->user_id);
    if (!user || !repo.IsActive(ctx.tx, user->id)) return refused("the account is not active");
    repo.MarkRefreshUsed(ctx.tx, rec->id);
    return http::Response::Json(200, IssueTokens(ctx, repo, *user, rec->family, options, tokens));
  });

  api.Add("POST", "/api/auth/logout", api::Access::kPublic, [](api::Context& ctx) {
    const json body = ctx.request.Json();
    api::OnlyFields(body, {"refresh_token"});
    AccountRepository repo;
    if (const auto rec = repo.LockRefresh(ctx.tx, TokenService::Hash(RefreshToken(body)))) {
      repo.RevokeFamily(ctx.tx, rec->family);
      ForgetAfterCommit(ctx, rec->family);
    }
    return http::Response::NoContent();  // idempotent: an unknown token is already logged out
  });

  // A new password ends every session (a thief's too); the caller gets a fresh one.
  api.Add("POST", "/api/auth/password", api::Access::kSignedIn,
          [&tokens, &limiter, options](api::Context& ctx) {
            const json body = ctx.request.Json();
            api::OnlyFields(body, {"current_password", "new_password"});
            for (const char* f : {"current_password", "new_password"}) {
              if (!body.contains(f) || !body[f].is_string())
                throw errors::Error::InvalidArgument(std::string(f) + " is required", f);
            }
            api::EnforceLimit(limiter, "login-user:" + std::to_string(ctx.user().user_id),
                              options.login_per_email);
            AccountRepository repo;
            const auto user = repo.FindUser(ctx.tx, ctx.user().user_id);
            if (!user) throw errors::Error(errors::Code::kUnauthenticated, "no such account");
            if (!VerifyPassword(user->password_hash, body["current_password"].get<std::string>()))
              throw errors::Error(errors::Code::kUnauthenticated, "the current password is wrong",
                                  "current_password");
            const std::string next = body["new_password"].get<std::string>();
            if (const auto problem = PasswordProblem(next, user->email))
              throw errors::Error(errors::Code::kInvalidArgument, "new_password " + *problem,
                                  "new_password", {{"reason", "weak_password"}});
            repo.SetPasswordHash(ctx.tx, user->id, HashPassword(next));
            repo.RevokeUserTokens(ctx.tx, user->id);
            ctx.AfterCommit([&sessions = ctx.sessions, id = user->id] { sessions.ForgetUser(id); });
            return http::Response::Json(
                200, IssueTokens(ctx, repo, *user, repo.NewFamily(ctx.tx), options, tokens));
          });

  api.Add("GET", "/api/auth/me", api::Access::kSignedIn, [](api::Context& ctx) {
    const auto found = AccountRepository().FindUserAndOrganization(ctx.tx, ctx.user().user_id);
    if (!found) throw errors::Error(errors::Code::kUnauthenticated, "the account no longer exists");
    return http::Response::Json(200, MeJson(found->first, found->second));
  });

  api.Add("PUT", "/api/auth/profile", api::Access::kTenant, [](api::Context& ctx) {
    const json body = ctx.request.Json();
    api::OnlyFields(body, {"business_name", "business_type", "timezone", "notification_email",
                           "notification_telegram", "language", "phone"});
    AccountRepository repo;
    std::vector<std::pair<std::string, std::optional<std::string>>> org;
    auto owner_only = [&](const char* field) {
      if (!ctx.user().IsOwner()) {
        throw errors::Error(errors::Code::kForbidden,
                            "only the owner may change " + std::string(field), field);
      }
    };
    auto nullable = [](const std::string& v) {
      return v.empty() ? std::optional<std::string>() : std::optional<std::string>(v);
    };
    if (body.contains("business_name")) {
      owner_only("business_name");
      org.emplace_back("name", api::RequiredString(body, "business_name", 200));
    }
    if (auto v = api::OptionalString(body, "business_type", 100)) {
      owner_only("business_type");
      org.emplace_back("business_type", nullable(*v));
    }
    if (auto v = api::OptionalString(body, "timezone", 64)) {
      owner_only("timezone");
      if (!repo.IsKnownTimezone(ctx.tx, *v)) {
        throw errors::Error(errors::Code::kInvalidArgument,
                            "timezone must be an IANA zone such as Europe/Kyiv", "timezone");
      }
      org.emplace_back("timezone", *v);
    }
    if (auto v = api::OptionalString(body, "notification_email", 254)) {
      owner_only("notification_email");
      if (!v->empty() && !api::IsEmail(*v)) {
        throw errors::Error(errors::Code::kInvalidArgument,
                            "notification_email is not a valid email address",
                            "notification_email");
      }
      org.emplace_back("notification_email", nullable(*v));
    }
    if (auto v = api::OptionalString(body, "notification_telegram", 100)) {
      owner_only("notification_telegram");
      org.emplace_back("notification_telegram", nullable(*v));
    }
    if (auto v = api::OptionalString(body, "phone", 32)) {
      owner_only("phone");
      static const std::regex phone(R"(^\+?[0-9 ()-]{5,31}$)");
      if (!v->empty() && !std::regex_match(*v, phone)) {
        throw errors::Error(errors::Code::kInvalidArgument,
                            "phone must contain digits, spaces, ()+-", "phone");
      }
      org.emplace_back("phone", nullable(*v));
    }
    if (body.contains("language")) repo.SetLanguage(ctx.tx, ctx.user().user_id, Language(body));
    repo.UpdateOrganization(ctx.tx, ctx.tenant(), org);
    const auto user = repo.FindUser(ctx.tx, ctx.user().user_id);
    return http::Response::Json(200, MeJson(ctx.tx, repo, *user));
  });

  api.Add("POST", "/api/auth/invite", api::Access::kOwner, [options](api::Context& ctx) {
    const json body = ctx.request.Json();
    api::OnlyFields(body, {"email"});
    const std::string email = api::RequiredEmail(body, "email");
    AccountRepository repo;
    if (repo.FindUserByEmail(ctx.tx, email)) {
      throw errors::Error(errors::Code::kConflict, "this email already has an account", "email");
    }
    // Serialise invitations of one organisation so two at once cannot both fit the limit.
    repo.LockOrganization(ctx.tx, ctx.tenant());
    const auto org = repo.FindOrganization(ctx.tx, ctx.tenant());
    const auto plan = billing::FindPlan(ctx.tx, org->plan);
    const std::int64_t max = plan ? plan->Limit("users") : 1;
    const std::int64_t used = repo.CountTenantUsers(ctx.tx, ctx.tenant()) +
                              repo.CountPendingInvitations(ctx.tx, ctx.tenant());
    if (max >= 0 && used >= max) {
      throw errors::Error::LimitReached("the plan allows " + std::to_string(max) + " users (" +
                                            std::to_string(used) + " used or invited)",
                                        "users", used, max);
    }
    const std::string token = TokenService::NewOpaqueToken();
    const auto inv = repo.InsertInvitation(ctx.tx, ctx.tenant(), email, TokenService::Hash(token),
                                           ctx.user().user_id, options.invite_ttl.count());
    return http::Response::Json(201, {{"id", inv.id},
                                      {"email", inv.email},
                                      {"role", inv.role},
                                      {"expires_at", inv.expires_at},
                                      {"invite_token", token}});
  });

  api.Add("POST", "/api/auth/invite/accept", api::Access::kPublic,
          [&tokens, options](api::Context& ctx) {
            const json body = ctx.request.Json();
            api::OnlyFields(body, {"token", "password", "language"});
            const std::string token = api::RequiredString(body, "token", 128);
            AccountRepository repo;
            const auto inv = repo.LockInvitationByToken(ctx.tx, TokenService::Hash(token));
            if (!inv || inv->accepted || inv->expired) {
              throw errors::Error(errors::Code::kNotFound,
                                  "the invitation does not exist, expired or was used", "token");
            }
            const std::string password = NewPassword(body, inv->email);
            User user;
            try {
              user = repo.InsertUser(ctx.tx, inv->email, HashPassword(password), inv->role,
                                     inv->tenant_id, Language(body));
            } catch (const db::Error& e) {
              if (e.IsUniqueViolation())
                throw errors::Error(errors::Code::kConflict, "this email already has an account");
              throw;
            }
            repo.MarkInvitationAccepted(ctx.tx, inv->id);
            json out = IssueTokens(ctx, repo, user, repo.NewFamily(ctx.tx), options, tokens);
            out["user"] = UserJson(user);
            return http::Response::Json(201, out);
          });

  api.Add("GET", "/api/auth/users", api::Access::kTenant, [](api::Context& ctx) {
    const auto page = api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"));
    AccountRepository repo;
    const auto users = repo.ListTenantUsers(ctx.tx, ctx.tenant(), page.limit + 1, page.after);
    return http::Response::Json(
        200,
        api::PageJson(
            users, page, [](const User& u) { return u.id; },
            [](const User& u) -> json {
              return {{"id", u.id}, {"email", u.email}, {"role", u.role}, {"language", u.language}};
            }));
  });

  api.Add("DELETE", "/api/auth/users/{id}", api::Access::kOwner, [](api::Context& ctx) {
    const auto id = api::IdParam(ctx.request.Param("id"), "no such user");
    AccountRepository repo;
    // The user's refresh tokens go with the row (ON DELETE CASCADE); access tokens stop at
    // the next request (the api wrapper checks the account is active).
    if (!repo.DeleteTenantUser(ctx.tx, ctx.tenant(), id)) {
      throw errors::Error(errors::Code::kNotFound, "no such staff member");
    }
    ctx.AfterCommit([&sessions = ctx.sessions, id] { sessions.ForgetUser(id); });
    return http::Response::NoContent();
  });

  api.Add("GET", "/api/auth/invitations", api::Access::kOwner, [](api::Context& ctx) {
    const auto page = api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"));
    AccountRepository repo;
    const auto list = repo.ListInvitations(ctx.tx, ctx.tenant(), page.limit + 1, page.after);
    return http::Response::Json(200, api::PageJson(
                                         list, page, [](const Invitation& i) { return i.id; },
                                         [](const Invitation& i) -> json {
                                           return {{"id", i.id},
                                                   {"email", i.email},
                                                   {"role", i.role},
                                                   {"expires_at", i.expires_at},
                                                   {"accepted", i.accepted}};
                                         }));
  });

  api.Add("DELETE", "/api/auth/invitations/{id}", api::Access::kOwner, [](api::Context& ctx) {
    const auto id = api::IdParam(ctx.request.Param("id"), "no such invitation");
    AccountRepository repo;
    if (!repo.DeleteInvitation(ctx.tx, ctx.tenant(), id)) {
      throw errors::Error(errors::Code::kNotFound, "no such invitation");
    }
    return http::Response::NoContent();
  });

  api.Add("GET", "/api/admin/tenants", api::Access::kAdmin, [&migrator](api::Context& ctx) {
    const auto page = api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"));
    tenants::TenantRepository repo(migrator);
    const auto list = repo.List(ctx.tx, page.limit + 1, page.after);
    return http::Response::Json(200,
                                api::PageJson(
                                    list, page, [](const tenants::Tenant& t) { return t.id.value; },
                                    [](const tenants::Tenant& t) -> json {
                                      return {{"id", t.id.value},
                                              {"name", t.name},
                                              {"status", t.status},
                                              {"created_at", t.created_at}};
                                    }));
  });
}

}  // namespace sloth::accounts
