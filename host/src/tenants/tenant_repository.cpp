#include "tenants/tenant_repository.hpp"

namespace sloth::tenants {
namespace {

Tenant Row(const db::Result& r, int i) {
  return Tenant{db::TenantId{r.Int(i, 0)}, r.Text(i, 1), r.Text(i, 2), r.Text(i, 3)};
}

}  // namespace

Tenant TenantRepository::Create(db::Transaction& tx, const std::string& name) {
  Tenant t = Insert(tx, name);
  CreateSchema(tx, t.id);
  return t;
}

Tenant TenantRepository::Insert(db::Transaction& tx, const std::string& name) {
  auto r = tx.Exec(
      "INSERT INTO public.tenants (name) VALUES ($1) "
      "RETURNING id, name, status, created_at::text",
      name);
  return Row(r, 0);
}

void TenantRepository::CreateSchema(db::Transaction& tx, db::TenantId id) {
  migrator_.CreateTenantSchema(tx, id);
}

std::vector<Tenant> TenantRepository::List(db::Transaction& tx, int limit, std::int64_t after_id) {
  auto r = tx.Exec(
      "SELECT id, name, status, created_at::text FROM public.tenants WHERE id > $1 "
      "ORDER BY id LIMIT $2",
      after_id, limit);
  std::vector<Tenant> out;
  for (int i = 0; i < r.Rows(); ++i) out.push_back(Row(r, i));
  return out;
}

bool TenantRepository::Deactivate(db::Transaction& tx, db::TenantId id) {
  return tx.Exec("UPDATE public.tenants SET status = 'deactivated' WHERE id = $1", id.value)
             .Affected() == 1;
}

std::vector<db::TenantId> TenantRepository::Ids(db::Transaction& tx) {
  auto r = tx.Exec("SELECT id FROM public.tenants ORDER BY id");
  std::vector<db::TenantId> ids;
  for (int i = 0; i < r.Rows(); ++i) ids.push_back(db::TenantId{r.Int(i, 0)});
  return ids;
}

}  // namespace sloth::tenants
