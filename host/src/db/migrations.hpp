#pragma once

// Versioned SQL migrations for the public schema and for every tenant schema. Files are
// host/migrations/{public,tenant}/NNNN_name.sql, compiled into the binary so a host can
// never run against migrations it doesn't know. Applied under an advisory lock, each in
// its own transaction, recorded with a checksum in public.schema_migrations.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "db/pool.hpp"

namespace sloth::db {

struct Migration {
  int version = 0;
  std::string name;
  std::string sql;
  std::string Checksum() const;
};

struct MigrationSet {
  std::vector<Migration> public_schema;
  std::vector<Migration> tenant_schema;
  int LatestPublic() const { return public_schema.empty() ? 0 : public_schema.back().version; }
  int LatestTenant() const { return tenant_schema.empty() ? 0 : tenant_schema.back().version; }
};

// The migrations compiled into this binary.
const MigrationSet& BuiltinMigrations();

// Builds a set from (file name, SQL) pairs; throws on a bad name or a duplicate version.
MigrationSet MakeMigrationSet(const std::vector<std::pair<std::string, std::string>>& public_files,
                              const std::vector<std::pair<std::string, std::string>>& tenant_files);

struct MigrationStatus {
  int public_applied = 0;
  int public_latest = 0;
  std::int64_t tenants_behind = 0;
  bool Current() const { return public_applied == public_latest && tenants_behind == 0; }
  std::string Describe() const;
};

class Migrator {
 public:
  Migrator(Pool& pool, const MigrationSet& set);

  // Applies pending public migrations; returns how many this call applied. Safe to run from
  // several hosts at once: they serialise on an advisory lock and each migration is
  // applied exactly once. Throws when an applied migration's checksum no longer matches.
  int MigratePublic();

  // Creates the schema for `tenant` and brings it to the latest tenant version, inside the
  // caller's transaction: either the tenant exists fully migrated or not at all.
  void CreateTenantSchema(Transaction& tx, TenantId tenant);

  // Applies pending tenant migrations to every registered tenant, `parallel` at a time.
  // `progress(done, total)` is called after each tenant. Returns migrations applied.
  int MigrateTenants(int parallel = 1, const std::function<void(int, int)>& progress = {});

  // Applies pending migrations to one tenant schema.
  int MigrateTenant(TenantId tenant);

  MigrationStatus Status();

  // Migrate on connections of their own to `url` (PostgreSQL itself) rather than the pool's:
  // the advisory lock that serialises hosts is a session's, which PgBouncer in transaction
  // mode does not keep.
  void UseSessionUrl(std::string url, int connect_timeout_s) {
    session_url_ = std::move(url);
    connect_timeout_s_ = connect_timeout_s;
  }

 private:
  // A connection for a session-locked migration, and the lease keeping its slot if pooled.
  struct SessionConnection {
    std::optional<Lease> lease;
    std::unique_ptr<Connection> own;
    Connection& operator*() { return own ? *own : **lease; }
    void Discard() {
      if (lease) lease->Discard();
      own.reset();
    }
  };
  SessionConnection OpenSession();
  int ApplyPending(Connection& c, const std::string& scope, const std::vector<Migration>& list,
                   bool own_transactions);

  Pool& pool_;
  const MigrationSet& set_;
  std::string session_url_;
  int connect_timeout_s_ = 5;
};

}  // namespace sloth::db
