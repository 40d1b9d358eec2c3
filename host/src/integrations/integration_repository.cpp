#include "integrations/integration_repository.hpp"

#include <cstring>
#include <regex>

#include <sodium.h>

namespace sloth::integrations {
namespace {

constexpr const char* kColumns =
    "id::text, tenant_id, plugin_id, feature, status, disabled_reason, connection::text, "
    "received, sent, public.rfc3339(last_activity_at), last_error, public.rfc3339(last_error_at), "
    "public.rfc3339(created_at), public.rfc3339(updated_at), "
    "coalesce(encode(config_encrypted, 'base64'), '')";

std::string FromBase64(const std::string& b64) {
  std::string clean;
  for (char c : b64)
    if (c != '\n') clean += c;
  std::string out(clean.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), clean.data(),
                        clean.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    throw std::runtime_error("stored credentials are not base64");
  }
  out.resize(len);
  return out;
}

std::string ToBase64(const std::string& raw) {
  std::string out(sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Integration Row(const db::Result& r, int i) {
  Integration x;
  x.id = r.Text(i, 0);
  x.tenant_id = r.Int(i, 1);
  x.plugin_id = r.Text(i, 2);
  x.feature = r.OptText(i, 3);
  x.status = r.Text(i, 4);
  x.disabled_reason = r.OptText(i, 5);
  x.connection = nlohmann::json::parse(r.Text(i, 6), nullptr, false);
  x.received = r.Int(i, 7);
  x.sent = r.Int(i, 8);
  x.last_activity_at = r.OptText(i, 9);
  x.last_error = r.OptText(i, 10);
  x.last_error_at = r.OptText(i, 11);
  x.created_at = r.Text(i, 12);
  x.updated_at = r.Text(i, 13);
  const std::string b64 = r.Text(i, 14);
  if (!b64.empty()) x.sealed_config = FromBase64(b64);
  return x;
}

bool IsUuid(const std::string& s) {
  static const std::regex re(
      "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$");
  return std::regex_match(s, re);
}

}  // namespace

std::string IntegrationRepository::NewId(db::Transaction& tx) {
  return tx.Exec("SELECT gen_random_uuid()::text").Text(0, 0);
}

void IntegrationRepository::Insert(db::Transaction& tx, const std::string& id,
                                   std::int64_t tenant_id, const std::string& plugin_id,
                                   const std::string& feature, const std::string& sealed_config,
                                   const nlohmann::json& connection) {
  tx.Exec(
      "INSERT INTO public.integrations (id, tenant_id, plugin_id, feature, config_encrypted, "
      "connection) VALUES ($1::uuid, $2, $3, nullif($4, ''), decode($5, 'base64'), $6::jsonb)",
      id, tenant_id, plugin_id, feature, ToBase64(sealed_config), connection.dump());
}

db::Query<std::optional<Integration>> IntegrationRepository::FindQuery(const std::string& id) {
  // Not a uuid (a path parameter, an absent id): no row, rather than a cast error.
  static const std::string sql =
      std::string("SELECT ") + kColumns + " FROM public.integrations WHERE id = $1::uuid";
  return db::MakeQuery<std::optional<Integration>>(
      [](const db::Result& r) { return r.Empty() ? std::nullopt : std::optional(Row(r, 0)); }, sql,
      IsUuid(id) ? std::optional(id) : std::nullopt);
}

std::optional<Integration> IntegrationRepository::Find(db::Transaction& tx, const std::string& id) {
  return tx.Exec(FindQuery(id));
}

std::optional<Integration> IntegrationRepository::FindForTenant(db::Transaction& tx,
                                                                std::int64_t tenant_id,
                                                                const std::string& id) {
  auto found = Find(tx, id);
  if (!found || found->tenant_id != tenant_id) return std::nullopt;
  return found;
}

std::vector<Integration> IntegrationRepository::List(db::Transaction& tx, std::int64_t tenant_id,
                                                     int limit) {
  auto r = tx.Exec(std::string("SELECT ") + kColumns +
                       " FROM public.integrations WHERE tenant_id = $1 AND status <> "
                       "'disconnected' ORDER BY created_at, id LIMIT $2",
                   tenant_id, limit);
  std::vector<Integration> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back(Row(r, i));
  return out;
}

std::vector<Integration> IntegrationRepository::ListPolling(db::Transaction& tx) {
  auto r = tx.Exec(std::string("SELECT ") + kColumns +
                   " FROM public.integrations WHERE status IN ('active', 'error') AND "
                   "connection->>'mode' = 'polling' ORDER BY created_at LIMIT 10000");
  std::vector<Integration> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back(Row(r, i));
  return out;
}

bool IntegrationRepository::Disconnect(db::Transaction& tx, std::int64_t tenant_id,
                                       const std::string& id) {
  if (!IsUuid(id)) return false;
  return !tx.Exec(
                "UPDATE public.integrations SET status = 'disconnected', config_encrypted = NULL, "
                "disabled_by = 'user', updated_at = now() WHERE id = $1::uuid AND tenant_id = $2 "
                "AND status <> 'disconnected' RETURNING 1",
                id, tenant_id)
              .Empty();
}

void IntegrationRepository::AddReceived(db::Transaction& tx, const std::string& id, int n) {
  tx.AtCommit(
      "UPDATE public.integrations SET received = received + $2, last_activity_at = now() WHERE "
      "id = $1::uuid",
      id, n);
}

void IntegrationRepository::AddSent(db::Transaction& tx, const std::string& id) {
  tx.AtCommit(
      "UPDATE public.integrations SET sent = sent + 1, last_activity_at = now() WHERE id = "
      "$1::uuid",
      id);
}

void IntegrationRepository::RecordError(db::Transaction& tx, const std::string& id,
                                        const std::string& error) {
  tx.Exec(
      "UPDATE public.integrations SET last_error = left($2, 1000), last_error_at = now() WHERE "
      "id = $1::uuid",
      id, error);
}

bool IntegrationRepository::TryClaimPolling(db::Connection& conn, const std::string& id) {
  return conn.Exec("SELECT pg_try_advisory_lock(hashtext('sloth.poll'), hashtext($1))", id)
      .Bool(0, 0);
}

void IntegrationRepository::ReleasePolling(db::Connection& conn, const std::string& id) {
  conn.Exec("SELECT pg_advisory_unlock(hashtext('sloth.poll'), hashtext($1))", id);
}

void IntegrationRepository::SaveConsent(db::Transaction& tx, const std::string& nonce,
                                        const PendingConsent& c, std::chrono::seconds ttl) {
  // Consents abandoned at the provider are dropped a day after they expired.
  tx.Exec("DELETE FROM public.oauth_states WHERE expires_at < now() - interval '1 day'");
  tx.Exec(
      "INSERT INTO public.oauth_states (nonce, tenant_id, plugin_id, verifier, request, "
      "expires_at) VALUES ($1, $2, $3, $4, $5::jsonb, now() + make_interval(secs => $6))",
      nonce, c.tenant_id, c.plugin_id, ToBase64(c.sealed_verifier), c.request.dump(),
      static_cast<std::int64_t>(ttl.count()));
}

std::optional<PendingConsent> IntegrationRepository::TakeConsent(db::Transaction& tx,
                                                                 const std::string& nonce) {
  auto r = tx.Exec(
      "DELETE FROM public.oauth_states WHERE nonce = $1 RETURNING tenant_id, plugin_id, "
      "verifier, request::text, expires_at > now()",
      nonce);
  if (r.Rows() == 0 || !r.Bool(0, 4)) return std::nullopt;
  PendingConsent c;
  c.tenant_id = r.Int(0, 0);
  c.plugin_id = r.Text(0, 1);
  c.sealed_verifier = FromBase64(r.Text(0, 2));
  c.request = nlohmann::json::parse(r.Text(0, 3), nullptr, false);
  return c;
}

}  // namespace sloth::integrations
