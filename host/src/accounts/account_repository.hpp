#pragma once

// SQL of accounts: users, refresh tokens, invitations, organisation profiles. Every
// function runs in the caller's transaction; none knows HTTP.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "db/pool.hpp"

namespace sloth::accounts {

struct User {
  std::int64_t id = 0;
  std::string email;
  std::string password_hash;
  std::string role;
  std::optional<std::int64_t> tenant_id;
  std::string language;
  std::string referral_code;
  bool is_active = true;
};

struct Organization {
  std::int64_t id = 0;
  std::string name;
  std::string status;
  std::optional<std::string> business_type;
  std::string timezone;
  std::optional<std::string> notification_email;
  std::optional<std::string> notification_telegram;
  std::optional<std::string> phone;
  std::string plan;  // the subscription's plan slug
};

struct RefreshRecord {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string family;
  bool used = false;
  bool revoked = false;
  bool expired = false;
};

struct Invitation {
  std::int64_t id = 0;
  std::int64_t tenant_id = 0;
  std::string email;
  std::string role;
  std::string expires_at;
  bool accepted = false;
  bool expired = false;
};

class AccountRepository {
 public:
  // Users.
  std::optional<User> FindUserByEmail(db::Transaction& tx, const std::string& email);
  std::optional<User> FindUser(db::Transaction& tx, std::int64_t id);
  // Throws db::Error with IsUniqueViolation() when the email is taken.
  User InsertUser(db::Transaction& tx, const std::string& email, const std::string& password_hash,
                  const std::string& role, std::optional<std::int64_t> tenant_id,
                  const std::string& language);
  std::optional<User> FindUserByReferralCode(db::Transaction& tx, const std::string& code);
  std::vector<User> ListTenantUsers(db::Transaction& tx, std::int64_t tenant_id, int limit,
                                    std::int64_t after_id);
  std::int64_t CountTenantUsers(db::Transaction& tx, std::int64_t tenant_id);
  bool DeleteTenantUser(db::Transaction& tx, std::int64_t tenant_id, std::int64_t user_id);
  void SetLanguage(db::Transaction& tx, std::int64_t user_id, const std::string& language);
  // True when the user exists, is active and (for tenant users) the tenant is active.
  bool IsActive(db::Transaction& tx, std::int64_t user_id);

  // Organisations.
  std::optional<Organization> FindOrganization(db::Transaction& tx, std::int64_t tenant_id);
  db::Query<std::optional<Organization>> FindOrganizationQuery(std::int64_t tenant_id);
  // The user and, for a tenant user, the organisation, in one statement.
  std::optional<std::pair<User, std::optional<Organization>>> FindUserAndOrganization(
      db::Transaction& tx, std::int64_t user_id);
  // Updates only the given columns (name and profile fields).
  void UpdateOrganization(
      db::Transaction& tx, std::int64_t tenant_id,
      const std::vector<std::pair<std::string, std::optional<std::string>>>& fields);

  // Locks the organisation's row for the rest of the transaction (serialises seat checks).
  void LockOrganization(db::Transaction& tx, std::int64_t tenant_id);
  bool IsKnownTimezone(db::Transaction& tx, const std::string& zone);
  // Ends every session of the organisation's users (deactivation).
  void RevokeTenantTokens(db::Transaction& tx, std::int64_t tenant_id);

  // The referral made at sign-up.
  void InsertReferral(db::Transaction& tx, std::int64_t referrer_user_id, std::int64_t tenant_id);

  // Refresh tokens.
  // The token expires after `ttl_seconds` or when its session does: `session_seconds` after
  // the family's first token (a login), inherited by every rotation.
  void InsertRefresh(db::Transaction& tx, std::int64_t user_id, const std::string& family,
                     const std::string& token_hash, std::int64_t ttl_seconds,
                     std::int64_t session_seconds);
  std::string NewFamily(db::Transaction& tx);
  // Locks the row (FOR UPDATE) so two concurrent refreshes of one token cannot both win.
  std::optional<RefreshRecord> LockRefresh(db::Transaction& tx, const std::string& token_hash);
  void MarkRefreshUsed(db::Transaction& tx, std::int64_t id);
  void RevokeFamily(db::Transaction& tx, const std::string& family);
  // Ends every session of one user (a password change, a deactivation).
  void RevokeUserTokens(db::Transaction& tx, std::int64_t user_id);
  // Refuses the transaction's work (errors::Code::kUnauthenticated) unless the user IsActive
  // and the session `family` is neither revoked nor past its end; checked with the
  // transaction's first statement; `on_live` runs when it passes.
  void RequireLiveSession(db::Transaction& tx, std::int64_t user_id, const std::string& family,
                          std::function<void()> on_live = {});
  void SetPasswordHash(db::Transaction& tx, std::int64_t user_id, const std::string& hash);

  // Invitations.
  Invitation InsertInvitation(db::Transaction& tx, std::int64_t tenant_id, const std::string& email,
                              const std::string& token_hash, std::int64_t invited_by,
                              std::int64_t ttl_seconds);
  std::optional<Invitation> LockInvitationByToken(db::Transaction& tx,
                                                  const std::string& token_hash);
  void MarkInvitationAccepted(db::Transaction& tx, std::int64_t id);
  std::vector<Invitation> ListInvitations(db::Transaction& tx, std::int64_t tenant_id, int limit,
                                          std::int64_t after_id);
  bool DeleteInvitation(db::Transaction& tx, std::int64_t tenant_id, std::int64_t id);
  std::int64_t CountPendingInvitations(db::Transaction& tx, std::int64_t tenant_id);
};

}  // namespace sloth::accounts
