// The host's transactions through PgBouncer in transaction mode (Debian's pgbouncer): a
// server connection is handed to whichever client transaction comes next, so a tenant's
// scope (SET LOCAL) or a pipelined opening that outlived its transaction would show up in
// another tenant's work here first.

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "db/migrations.hpp"
#include "db/pool.hpp"
#include "support/pgbouncer.hpp"
#include "support/test_db.hpp"
#include "support/wait.hpp"
#include "tenants/tenant_repository.hpp"

namespace sloth::db {
namespace {

TEST(PgBouncerTest, TenantScopeAndPipelinesNeverCrossTransactionsSharingAServerConnection) {
  testing::TestDatabase db;
  testing::PgBouncer bouncer(db, 2);
  PoolOptions o;
  o.url = bouncer.url();
  o.size = 8;
  o.prepared_statements = false;  // PgBouncer before 1.21 cannot track them
  std::unique_ptr<Pool> pool;
  testing::WaitUntil(
      [&] {
        try {
          pool = std::make_unique<Pool>(o);
          return pool->InTransaction(
                     [](Transaction& tx) { return tx.Exec("SELECT 1").Int(0, 0); }) == 1;
        } catch (const Error&) {
          return false;
        }
      },
      std::chrono::seconds(10));
  ASSERT_TRUE(pool);
  Migrator m(*pool, BuiltinMigrations());
  m.UseSessionUrl(db.url(), 5);  // database.direct_url: the migration lock is a session's
  m.MigratePublic();
  tenants::TenantRepository repo(m);
  const TenantId a = pool->InTransaction([&](Transaction& tx) { return repo.Create(tx, "A").id; });
  const TenantId b = pool->InTransaction([&](Transaction& tx) { return repo.Create(tx, "B").id; });
  for (const auto& t : {a, b}) {
    pool->InTenant(t, [&](Transaction& tx) {
      tx.Exec("CREATE TABLE mine (owner text)");
      tx.Exec("INSERT INTO mine VALUES ($1)", t.Schema());
    });
  }

  std::atomic<int> reads{0}, writes{0}, unscoped{0}, wrong{0}, refused{0}, writes_to_a{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 8; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 150; ++i) {
        const TenantId t = (i + w) % 2 ? a : b;
        try {
          switch (i % 4) {
            case 0: {  // a pipelined, read-only, checked read (an authenticated GET)
              bool live = false;
              const auto owner = pool->InTenant(t, kReadOnly, [&](Transaction& tx) {
                tx.Precheck("SELECT current_setting('search_path')", {}, [&](const Result& r) {
                  live = r.Text(0, 0) == t.Schema() + ", public";
                });
                return tx.Exec("SELECT owner FROM mine").Text(0, 0);
              });
              (live && owner == t.Schema() ? reads : wrong)++;
              break;
            }
            case 1:  // a write
              pool->InTenant(t, [&](Transaction& tx) {
                tx.Exec("INSERT INTO plugin_kv (instance_id, key, value) VALUES ($1, $2, $3)",
                        t.Schema(), std::to_string(w) + ":" + std::to_string(i), "v");
              });
              ++writes;
              if (t.value == a.value) ++writes_to_a;
              break;
            case 2: {  // unscoped work sees no tenant's tables
              const auto path = pool->InTransaction(kReadOnly, [](Transaction& tx) {
                return tx.Exec("SHOW search_path").Text(0, 0);
              });
              (path == "\"$user\", public" ? unscoped : wrong)++;
              break;
            }
            default:  // a refused check rolls its transaction back
              try {
                pool->InTenant(t, [&](Transaction& tx) {
                  tx.Precheck("SELECT false", {}, [](const Result& r) {
                    if (!r.Bool(0, 0)) throw std::runtime_error("refused");
                  });
                  tx.Exec("INSERT INTO mine VALUES ('never')");
                });
                ++wrong;
              } catch (const std::runtime_error&) {
                ++refused;
              }
          }
        } catch (const std::exception& e) {
          ADD_FAILURE() << e.what();
          ++wrong;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(reads.load() + writes.load() + unscoped.load() + refused.load(), 8 * 150);
  EXPECT_EQ(writes.load(), 8 * 38);  // i = 1, 5, ... 149 in each thread
  for (const auto& t : {a, b}) {
    const int mine = t.value == a.value ? writes_to_a.load() : writes.load() - writes_to_a.load();
    EXPECT_GT(mine, 0);
    pool->InTenant(t, [&](Transaction& tx) {
      EXPECT_EQ(tx.Exec("SELECT count(*) FROM plugin_kv").Int(0, 0), mine);
      EXPECT_EQ(
          tx.Exec("SELECT count(*) FROM plugin_kv WHERE instance_id <> $1", t.Schema()).Int(0, 0),
          0);
      EXPECT_EQ(tx.Exec("SELECT count(*) FROM mine").Int(0, 0), 1);
    });
  }
  // Eight clients' transactions shared two server connections.
  auto admin = Connection::Open(db.url(), 5, std::chrono::milliseconds(0));
  EXPECT_LE(admin
                ->Exec("SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND "
                       "backend_type = 'client backend' AND pid <> pg_backend_pid()",
                       db.name())
                .Int(0, 0),
            2);
}

}  // namespace
}  // namespace sloth::db
