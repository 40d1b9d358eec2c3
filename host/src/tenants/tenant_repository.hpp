#pragma once

#include <string>
#include <vector>

#include "db/migrations.hpp"
#include "db/pool.hpp"

namespace sloth::tenants {

struct Tenant {
  db::TenantId id;
  std::string name;
  std::string status;
  std::string created_at;
};

// The registry of tenants in public.tenants and their schemas.
class TenantRepository {
 public:
  explicit TenantRepository(db::Migrator& migrator) : migrator_(migrator) {}

  // Inside the caller's transaction: registers the tenant and creates its schema at the
  // latest tenant migration. Rolled back with the caller, so nothing half-made remains.
  Tenant Create(db::Transaction& tx, const std::string& name);
  // The two steps of Create, for callers that must do work in between (sign-up inserts the
  // owner before paying for the schema, so a duplicate email fails fast).
  Tenant Insert(db::Transaction& tx, const std::string& name);
  void CreateSchema(db::Transaction& tx, db::TenantId id);
  std::vector<Tenant> List(db::Transaction& tx, int limit, std::int64_t after_id);
  // Every tenant's id, in order (platform jobs that visit each organisation).
  static std::vector<db::TenantId> Ids(db::Transaction& tx);
  bool Deactivate(db::Transaction& tx, db::TenantId id);

 private:
  db::Migrator& migrator_;
};

}  // namespace sloth::tenants
