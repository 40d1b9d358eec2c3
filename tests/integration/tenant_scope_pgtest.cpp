#include <gtest/gtest.h>

#include "db/migrations.hpp"
#include "support/test_db.hpp"
#include "tenants/tenant_repository.hpp"

namespace sloth::db {
namespace {

TEST(TenantScopeTest, ScopeNeverLeaksAcrossTransactionsOnOneConnection) {
  testing::TestDatabase db;
  PoolOptions o;
  o.url = db.url();
  o.size = 1;  // every transaction below runs on the same pooled connection
  Pool pool(o);
  Migrator m(pool, BuiltinMigrations());
  m.MigratePublic();
  tenants::TenantRepository repo(m);
  const TenantId a =
      pool.InTransaction([&](Transaction& tx) { return repo.Create(tx, "Salon A").id; });
  const TenantId b =
      pool.InTransaction([&](Transaction& tx) { return repo.Create(tx, "Salon B").id; });

  auto backend = [](Transaction& tx) { return tx.Exec("SELECT pg_backend_pid()").Int(0, 0); };
  const auto pid = pool.InTransaction(backend);

  pool.InTenant(a, [&](Transaction& tx) {
    EXPECT_EQ(backend(tx), pid);
    tx.Exec("CREATE TABLE only_a (v text)");
    tx.Exec("INSERT INTO only_a VALUES ('a-secret')");
    tx.Exec("INSERT INTO plugin_kv (instance_id, key, value) VALUES ('i', 'k', 'a')");
  });
  pool.InTenant(b, [&](Transaction& tx) {
    EXPECT_EQ(backend(tx), pid);
    EXPECT_EQ(tx.Exec("SHOW search_path").Text(0, 0), b.Schema() + ", public");
    EXPECT_EQ(tx.Exec("SELECT count(*) FROM plugin_kv").Int(0, 0), 0);
    try {
      tx.Exec("SELECT * FROM only_a");
      ADD_FAILURE() << "tenant B saw tenant A's table";
    } catch (const Error& e) {
      EXPECT_EQ(e.sqlstate(), "42P01");  // undefined_table
    }
  });
  pool.InTransaction([&](Transaction& tx) {
    EXPECT_EQ(backend(tx), pid);
    EXPECT_EQ(tx.Exec("SHOW search_path").Text(0, 0), "\"$user\", public");
    EXPECT_THROW(tx.Exec("SELECT * FROM only_a"), Error);
  });
  pool.InTransaction([&](Transaction& tx) {
    // Unscoped, plugin_kv is the platform's own table, which holds none of A's rows.
    EXPECT_EQ(tx.Exec("SELECT count(*) FROM plugin_kv").Int(0, 0), 0);
  });
  pool.InTenant(a, [&](Transaction& tx) {
    EXPECT_EQ(tx.Exec("SELECT v FROM only_a").Text(0, 0), "a-secret");
    EXPECT_EQ(tx.Exec("SELECT count(*) FROM plugin_kv").Int(0, 0), 1);
  });
}

TEST(TenantScopeTest, ScopeEndsWithARolledBackTransaction) {
  testing::TestDatabase db;
  PoolOptions o;
  o.url = db.url();
  o.size = 1;
  Pool pool(o);
  Migrator m(pool, BuiltinMigrations());
  m.MigratePublic();
  tenants::TenantRepository repo(m);
  const TenantId a = pool.InTransaction([&](Transaction& tx) { return repo.Create(tx, "A").id; });
  EXPECT_THROW(pool.InTenant(a,
                             [&](Transaction& tx) {
                               tx.Exec("INSERT INTO plugin_kv VALUES ('i', 'k', 'v')");
                               throw std::runtime_error("handler failed");
                             }),
               std::runtime_error);
  pool.InTransaction([&](Transaction& tx) {
    EXPECT_EQ(tx.Exec("SHOW search_path").Text(0, 0), "\"$user\", public");
  });
  pool.InTenant(a, [&](Transaction& tx) {
    EXPECT_EQ(tx.Exec("SELECT count(*) FROM plugin_kv").Int(0, 0), 0);
  });
}

}  // namespace
}  // namespace sloth::db
