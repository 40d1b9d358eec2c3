#pragma once

// public.integrations: a plugin connected by an organisation. Credentials are stored only
// sealed (crypto::SecretBox); every tenant-facing read filters on tenant_id.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/pool.hpp"

namespace sloth::integrations {

struct Integration {
  std::string id;
  std::int64_t tenant_id = 0;
  std::string plugin_id;
  std::optional<std::string> feature;
  std::string status;  // active | disabled | error | disconnected
  std::optional<std::string> disabled_reason;
  nlohmann::json connection = nlohmann::json::object();
  std::int64_t received = 0, sent = 0;
  std::optional<std::string> last_activity_at, last_error, last_error_at;
  std::string created_at, updated_at;
  std::string sealed_config;  // raw bytes
};

// An OAuth consent in progress (public.oauth_states).
struct PendingConsent {
  std::int64_t tenant_id = 0;
  std::string plugin_id;
  std::string sealed_verifier;  // raw bytes
  nlohmann::json request = nlohmann::json::object();
};

class IntegrationRepository {
 public:
  void SaveConsent(db::Transaction& tx, const std::string& nonce, const PendingConsent& c,
                   std::chrono::seconds ttl);
  // Takes (deletes) the consent: a state is good once. nullopt when absent or expired.
  std::optional<PendingConsent> TakeConsent(db::Transaction& tx, const std::string& nonce);

  // A new id (uuid) for an integration about to be connected.
  std::string NewId(db::Transaction& tx);
  void Insert(db::Transaction& tx, const std::string& id, std::int64_t tenant_id,
              const std::string& plugin_id, const std::string& feature,
              const std::string& sealed_config, const nlohmann::json& connection);
  // Any tenant's (webhooks find their tenant this way); nullopt for a malformed id.
  std::optional<Integration> Find(db::Transaction& tx, const std::string& id);
  db::Query<std::optional<Integration>> FindQuery(const std::string& id);
  std::optional<Integration> FindForTenant(db::Transaction& tx, std::int64_t tenant_id,
                                           const std::string& id);
  // Connected ones (not disconnected), oldest first, at most `limit`.
  std::vector<Integration> List(db::Transaction& tx, std::int64_t tenant_id, int limit);
  // Active integrations in polling mode, across tenants.
  std::vector<Integration> ListPolling(db::Transaction& tx);
  // Credentials wiped, status disconnected; the row stays for its history.
  bool Disconnect(db::Transaction& tx, std::int64_t tenant_id, const std::string& id);

  // The integration's message counters, added when `tx` commits (with its COMMIT, in one
  // round trip): the row is shared by every chat of the integration, and its lock is then
  // held no longer than the commit.
  void AddReceived(db::Transaction& tx, const std::string& id, int n);
  void AddSent(db::Transaction& tx, const std::string& id);
  // Takes the session advisory lock that makes `conn`'s host the poller of integration
  // `id`; false when another host holds it. Released when `conn` closes.
  static bool TryClaimPolling(db::Connection& conn, const std::string& id);
  static void ReleasePolling(db::Connection& conn, const std::string& id);
  void RecordError(db::Transaction& tx, const std::string& id, const std::string& error);
};

}  // namespace sloth::integrations
