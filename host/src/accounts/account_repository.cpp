#include "accounts/account_repository.hpp"

#include <set>
#include <stdexcept>

#include "accounts/tokens.hpp"
#include "errors/error.hpp"

namespace sloth::accounts {
namespace {

constexpr const char* kUserColumns =
    "id, email, password_hash, role, tenant_id, language, referral_code, is_active";
constexpr const char* kUserColumnsOfU =
    "u.id, u.email, u.password_hash, u.role, u.tenant_id, u.language, u.referral_code, "
    "u.is_active";

User UserRow(const db::Result& r, int i) {
  User u;
  u.id = r.Int(i, 0);
  u.email = r.Text(i, 1);
  u.password_hash = r.Text(i, 2);
  u.role = r.Text(i, 3);
  if (!r.IsNull(i, 4)) u.tenant_id = r.Int(i, 4);
  u.language = r.Text(i, 5);
  u.referral_code = r.Text(i, 6);
  u.is_active = r.Bool(i, 7);
  return u;
}

std::optional<User> OneUser(const db::Result& r) {
  if (r.Empty()) return std::nullopt;
  return UserRow(r, 0);
}

constexpr const char* kInvitationColumns =
    "id, tenant_id, email, role, public.rfc3339(expires_at), accepted_at IS NOT NULL, "
    "expires_at <= now()";

Invitation InvitationRow(const db::Result& r, int i) {
  return Invitation{r.Int(i, 0),  r.Int(i, 1),  r.Text(i, 2), r.Text(i, 3),
                    r.Text(i, 4), r.Bool(i, 5), r.Bool(i, 6)};
}

}  // namespace

std::optional<User> AccountRepository::FindUserByEmail(db::Transaction& tx,
                                                       const std::string& email) {
  return OneUser(tx.Exec(
      std::string("SELECT ") + kUserColumns + " FROM public.users WHERE lower(email) = lower($1)",
      email));
}

std::optional<User> AccountRepository::FindUser(db::Transaction& tx, std::int64_t id) {
  return OneUser(
      tx.Exec(std::string("SELECT ") + kUserColumns + " FROM public.users WHERE id = $1", id));
}

User AccountRepository::InsertUser(db::Transaction& tx, const std::string& email,
                                   const std::string& password_hash, const std::string& role,
                                   std::optional<std::int64_t> tenant_id,
                                   const std::string& language) {
  // Referral codes: 10 characters from the token generator; retried on the rare collision
  // inside a savepoint so the surrounding transaction survives it.
  for (int attempt = 0;; ++attempt) {
    const std::string code = TokenService::NewOpaqueToken().substr(0, 10);
    tx.Exec("SAVEPOINT referral_code");
    try {
      auto r = tx.Exec(
          std::string("INSERT INTO public.users (email, password_hash, role, tenant_id, "
                      "language, referral_code) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ") +
              kUserColumns,
          email, password_hash, role, tenant_id, language, code);
      tx.Exec("RELEASE SAVEPOINT referral_code");
      return UserRow(r, 0);
    } catch (const db::Error& e) {
      tx.Exec("ROLLBACK TO SAVEPOINT referral_code");
      const bool code_clash =
          e.IsUniqueViolation() && std::string(e.what()).find("referral_code") != std::string::npos;
      if (!code_clash || attempt >= 5) throw;
    }
  }
}

std::optional<User> AccountRepository::FindUserByReferralCode(db::Transaction& tx,
                                                              const std::string& code) {
  return OneUser(tx.Exec(
      std::string("SELECT ") + kUserColumns + " FROM public.users WHERE referral_code = $1", code));
}

std::vector<User> AccountRepository::ListTenantUsers(db::Transaction& tx, std::int64_t tenant_id,
                                                     int limit, std::int64_t after_id) {
  auto r = tx.Exec(std::string("SELECT ") + kUserColumns +
                       " FROM public.users WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                   tenant_id, after_id, limit);
  std::vector<User> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back(UserRow(r, i));
  return out;
}

std::int64_t AccountRepository::CountTenantUsers(db::Transaction& tx, std::int64_t tenant_id) {
  return tx.Exec("SELECT count(*) FROM public.users WHERE tenant_id = $1", tenant_id).Int(0, 0);
}

bool AccountRepository::DeleteTenantUser(db::Transaction& tx, std::int64_t tenant_id,
                                         std::int64_t user_id) {
  return tx.Exec("DELETE FROM public.users WHERE id = $1 AND tenant_id = $2 AND role = 'staff'",
                 user_id, tenant_id)
             .Affected() == 1;
}

void AccountRepository::SetLanguage(db::Transaction& tx, std::int64_t user_id,
                                    const std::string& language) {
  tx.Exec("UPDATE public.users SET language = $2 WHERE id = $1", user_id, language);
}

bool AccountRepository::IsActive(db::Transaction& tx, std::int64_t user_id) {
  auto r = tx.Exec(
      "SELECT u.is_active AND coalesce(t.status = 'active', true) FROM public.users u "
      "LEFT JOIN public.tenants t ON t.id = u.tenant_id WHERE u.id = $1",
      user_id);
  return !r.Empty() && r.Bool(0, 0);
}

namespace {

constexpr const char* kOrganizationColumns =
    "t.id, t.name, t.status, t.business_type, t.timezone, t.notification_email, "
    "t.notification_telegram, t.phone, coalesce(s.plan_slug, 'free') AS plan";

Organization OrganizationRow(const db::Result& r, int i, int first) {
  return Organization{r.Int(i, first),         r.Text(i, first + 1),    r.Text(i, first + 2),
                      r.OptText(i, first + 3), r.Text(i, first + 4),    r.OptText(i, first + 5),
                      r.OptText(i, first + 6), r.OptText(i, first + 7), r.Text(i, first + 8)};
}

}  // namespace

db::Query<std::optional<Organization>> AccountRepository::FindOrganizationQuery(
    std::int64_t tenant_id) {
  static const std::string sql = std::string("SELECT ") + kOrganizationColumns +
                                 " FROM public.tenants t LEFT JOIN public.subscriptions s ON "
                                 "s.tenant_id = t.id WHERE t.id = $1";
  return db::MakeQuery<std::optional<Organization>>(
      [](const db::Result& r) {
        return r.Empty() ? std::nullopt : std::optional(OrganizationRow(r, 0, 0));
      },
      sql, tenant_id);
}

std::optional<Organization> AccountRepository::FindOrganization(db::Transaction& tx,
                                                                std::int64_t tenant_id) {
  return tx.Exec(FindOrganizationQuery(tenant_id));
}

std::optional<std::pair<User, std::optional<Organization>>>
AccountRepository::FindUserAndOrganization(db::Transaction& tx, std::int64_t user_id) {
  // One statement: GET /api/auth/me is one round trip with its session check.
  auto r = tx.Exec(std::string("SELECT ") + kUserColumnsOfU + ", " + kOrganizationColumns +
                       " FROM public.users u LEFT JOIN public.tenants t ON t.id = u.tenant_id "
                       "LEFT JOIN public.subscriptions s ON s.tenant_id = t.id WHERE u.id = $1",
                   user_id);
  if (r.Empty()) return std::nullopt;
  std::pair<User, std::optional<Organization>> out{UserRow(r, 0), std::nullopt};
  if (!r.IsNull(0, 8)) out.second = OrganizationRow(r, 0, 8);
  return out;
}

void AccountRepository::UpdateOrganization(
    db::Transaction& tx, std::int64_t tenant_id,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& fields) {
  // Column names come from this fixed list only, never from the request.
  static const std::set<std::string> allowed = {
      "name", "business_type", "timezone", "notification_email", "notification_telegram", "phone"};
  for (const auto& [column, value] : fields) {
    if (!allowed.count(column))
      throw std::invalid_argument("not an organisation column: " + column);
    tx.Exec("UPDATE public.tenants SET " + column + " = $2 WHERE id = $1", tenant_id, value);
  }
}

void AccountRepository::LockOrganization(db::Transaction& tx, std::int64_t tenant_id) {
  tx.Exec("SELECT 1 FROM public.tenants WHERE id = $1 FOR UPDATE", tenant_id);
}

bool AccountRepository::IsKnownTimezone(db::Transaction& tx, const std::string& zone) {
  return tx.Exec("SELECT count(*) FROM pg_timezone_names WHERE name = $1", zone).Int(0, 0) > 0;
}

void AccountRepository::RevokeTenantTokens(db::Transaction& tx, std::int64_t tenant_id) {
  tx.Exec(
      "UPDATE public.refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND "
      "user_id IN (SELECT id FROM public.users WHERE tenant_id = $1)",
      tenant_id);
}

void AccountRepository::InsertReferral(db::Transaction& tx, std::int64_t referrer_user_id,
                                       std::int64_t tenant_id) {
  tx.Exec("INSERT INTO public.referrals (referrer_user_id, referred_tenant_id) VALUES ($1, $2)",
          referrer_user_id, tenant_id);
}

void AccountRepository::InsertRefresh(db::Transaction& tx, std::int64_t user_id,
                                      const std::string& family, const std::string& token_hash,
                                      std::int64_t ttl_seconds, std::int64_t session_seconds) {
  tx.Exec(
      "INSERT INTO public.refresh_tokens (user_id, family, token_hash, expires_at, "
      "session_expires_at) SELECT $1, $2::uuid, $3, "
      "least(now() + make_interval(secs => $4::bigint), s.ends), s.ends FROM (SELECT coalesce("
      "(SELECT min(session_expires_at) FROM public.refresh_tokens WHERE family = $2::uuid), "
      "now() + make_interval(secs => $5::bigint)) AS ends) s",
      user_id, family, token_hash, ttl_seconds, session_seconds);
}

std::string AccountRepository::NewFamily(db::Transaction& tx) {
  return tx.Exec("SELECT gen_random_uuid()::text").Text(0, 0);
}

std::optional<RefreshRecord> AccountRepository::LockRefresh(db::Transaction& tx,
                                                            const std::string& token_hash) {
  auto r = tx.Exec(
      "SELECT id, user_id, family::text, used_at IS NOT NULL, revoked_at IS NOT NULL, "
      "expires_at <= now() OR session_expires_at <= now() FROM public.refresh_tokens "
      "WHERE token_hash = $1 FOR UPDATE",
      token_hash);
  if (r.Empty()) return std::nullopt;
  return RefreshRecord{r.Int(0, 0),  r.Int(0, 1),  r.Text(0, 2),
                       r.Bool(0, 3), r.Bool(0, 4), r.Bool(0, 5)};
}

void AccountRepository::MarkRefreshUsed(db::Transaction& tx, std::int64_t id) {
  tx.Exec("UPDATE public.refresh_tokens SET used_at = now() WHERE id = $1", id);
}

void AccountRepository::RevokeFamily(db::Transaction& tx, const std::string& family) {
  tx.Exec(
      "UPDATE public.refresh_tokens SET revoked_at = now() WHERE family = $1::uuid AND "
      "revoked_at IS NULL",
      family);
}

void AccountRepository::RevokeUserTokens(db::Transaction& tx, std::int64_t user_id) {
  tx.Exec(
      "UPDATE public.refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND "
      "revoked_at IS NULL",
      user_id);
}

void AccountRepository::RequireLiveSession(db::Transaction& tx, std::int64_t user_id,
                                           const std::string& family,
                                           std::function<void()> on_live) {
  // A family is live while one of its tokens is unrevoked (the newest rotation is) and its
  // session has not ended. Sent with the request's first statement: no round trip of its own.
  tx.Precheck(
      "SELECT u.is_active AND coalesce(t.status = 'active', true) AND EXISTS (SELECT 1 FROM "
      "public.refresh_tokens rt WHERE rt.family = $2::uuid AND rt.user_id = u.id AND "
      "rt.revoked_at IS NULL AND rt.session_expires_at > now()) FROM public.users u "
      "LEFT JOIN public.tenants t ON t.id = u.tenant_id WHERE u.id = $1",
      {user_id, family}, [on_live = std::move(on_live)](const db::Result& r) {
        if (r.Empty() || !r.Bool(0, 0))
          throw errors::Error(errors::Code::kUnauthenticated,
                              "the session has ended or the account is not active");
        if (on_live) on_live();
      });
}

void AccountRepository::SetPasswordHash(db::Transaction& tx, std::int64_t user_id,
                                        const std::string& hash) {
  tx.Exec("UPDATE public.users SET password_hash = $2 WHERE id = $1", user_id, hash);
}

Invitation AccountRepository::InsertInvitation(db::Transaction& tx, std::int64_t tenant_id,
                                               const std::string& email,
                                               const std::string& token_hash,
                                               std::int64_t invited_by, std::int64_t ttl_seconds) {
  auto r =
      tx.Exec(std::string("INSERT INTO public.invitations (tenant_id, email, role, token_hash, "
                          "invited_by, expires_at) VALUES ($1, $2, 'staff', $3, $4, "
                          "now() + make_interval(secs => $5::bigint)) RETURNING ") +
                  kInvitationColumns,
              tenant_id, email, token_hash, invited_by, ttl_seconds);
  return InvitationRow(r, 0);
}

std::optional<Invitation> AccountRepository::LockInvitationByToken(db::Transaction& tx,
                                                                   const std::string& token_hash) {
  auto r = tx.Exec(std::string("SELECT ") + kInvitationColumns +
                       " FROM public.invitations WHERE token_hash = $1 FOR UPDATE",
                   token_hash);
  if (r.Empty()) return std::nullopt;
  return InvitationRow(r, 0);
}

void AccountRepository::MarkInvitationAccepted(db::Transaction& tx, std::int64_t id) {
  tx.Exec("UPDATE public.invitations SET accepted_at = now() WHERE id = $1", id);
}

std::vector<Invitation> AccountRepository::ListInvitations(db::Transaction& tx,
                                                           std::int64_t tenant_id, int limit,
                                                           std::int64_t after_id) {
  auto r =
      tx.Exec(std::string("SELECT ") + kInvitationColumns +
                  " FROM public.invitations WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3",
              tenant_id, after_id, limit);
  std::vector<Invitation> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back(InvitationRow(r, i));
  return out;
}

bool AccountRepository::DeleteInvitation(db::Transaction& tx, std::int64_t tenant_id,
                                         std::int64_t id) {
  return tx.Exec("DELETE FROM public.invitations WHERE id = $1 AND tenant_id = $2", id, tenant_id)
             .Affected() == 1;
}

std::int64_t AccountRepository::CountPendingInvitations(db::Transaction& tx,
                                                        std::int64_t tenant_id) {
  return tx
      .Exec(
          "SELECT count(*) FROM public.invitations WHERE tenant_id = $1 AND accepted_at IS "
          "NULL AND expires_at > now()",
          tenant_id)
      .Int(0, 0);
}

}  // namespace sloth::accounts
