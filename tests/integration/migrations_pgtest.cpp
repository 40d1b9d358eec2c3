#include <thread>

#include <gtest/gtest.h>

#include "db/migrations.hpp"
#include "support/test_db.hpp"
#include "tenants/tenant_repository.hpp"

namespace sloth::db {
namespace {

PoolOptions Options(const std::string& url, int size = 4) {
  PoolOptions o;
  o.url = url;
  o.size = size;
  return o;
}

std::int64_t Count(Pool& pool, const std::string& sql) {
  return pool.InTransaction([&](Transaction& tx) { return tx.Exec(sql).Int(0, 0); });
}

TEST(MigrationsTest, IdempotentAndRecorded) {
  testing::TestDatabase db;
  Pool pool(Options(db.url()));
  Migrator m(pool, BuiltinMigrations());
  EXPECT_FALSE(m.Status().Current());
  EXPECT_EQ(m.MigratePublic(), static_cast<int>(BuiltinMigrations().public_schema.size()));
  EXPECT_EQ(m.MigratePublic(), 0);
  EXPECT_EQ(m.MigrateTenants(), 0);
  EXPECT_TRUE(m.Status().Current());
  EXPECT_EQ(Count(pool, "SELECT count(*) FROM public.schema_migrations WHERE scope = 'public'"),
            static_cast<std::int64_t>(BuiltinMigrations().public_schema.size()));
}

TEST(MigrationsTest, ConcurrentMigratorsApplyEachMigrationOnce) {
  testing::TestDatabase db;
  constexpr int kMigrators = 6;
  std::vector<std::unique_ptr<Pool>> pools;
  for (int i = 0; i < kMigrators; ++i)
    pools.push_back(std::make_unique<Pool>(Options(db.url(), 1)));
  std::vector<int> applied(kMigrators, -1);
  std::vector<std::string> errors(kMigrators);
  std::vector<std::thread> threads;
  for (int i = 0; i < kMigrators; ++i) {
    threads.emplace_back([&, i] {
      try {
        Migrator m(*pools[static_cast<std::size_t>(i)], BuiltinMigrations());
        applied[static_cast<std::size_t>(i)] = m.MigratePublic();
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(i)] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  int total = 0;
  for (int i = 0; i < kMigrators; ++i) {
    EXPECT_EQ(errors[static_cast<std::size_t>(i)], "");
    total += applied[static_cast<std::size_t>(i)];
  }
  EXPECT_EQ(total, static_cast<int>(BuiltinMigrations().public_schema.size()));
  EXPECT_EQ(Count(*pools[0], "SELECT count(*) FROM public.schema_migrations"),
            static_cast<std::int64_t>(BuiltinMigrations().public_schema.size()));
}

TEST(MigrationsTest, TenantSchemaCreatedAtLatestAndUpgradedLater) {
  testing::TestDatabase db;
  Pool pool(Options(db.url()));
  // A set whose tenant part grows by one migration, as a later release would.
  const auto v1 = MakeMigrationSet({{"0001_tenants.sql", BuiltinMigrations().public_schema[0].sql}},
                                   {{"0001_a.sql", "CREATE TABLE a (x int);"}});
  const auto v2 = MakeMigrationSet(
      {{"0001_tenants.sql", BuiltinMigrations().public_schema[0].sql}},
      {{"0001_a.sql", "CREATE TABLE a (x int);"}, {"0002_b.sql", "CREATE TABLE b (y int);"}});
  Migrator m1(pool, v1);
  m1.MigratePublic();
  tenants::TenantRepository repo(m1);
  std::vector<TenantId> ids;
  for (int i = 0; i < 3; ++i) {
    ids.push_back(pool.InTransaction([&](Transaction& tx) { return repo.Create(tx, "salon").id; }));
  }
  EXPECT_TRUE(m1.Status().Current());

  Migrator m2(pool, v2);
  EXPECT_EQ(m2.Status().tenants_behind, 3);
  std::vector<std::pair<int, int>> progress;
  EXPECT_EQ(m2.MigrateTenants(2, [&](int done, int total) { progress.emplace_back(done, total); }),
            3);
  EXPECT_EQ(progress.size(), 3u);
  EXPECT_EQ(progress.back(), (std::pair<int, int>{3, 3}));
  EXPECT_TRUE(m2.Status().Current());
  EXPECT_EQ(m2.MigrateTenants(2), 0);
  for (auto id : ids) {
    pool.InTenant(id, [](Transaction& tx) { tx.Exec("INSERT INTO b (y) VALUES (1)"); });
  }
}

TEST(MigrationsTest, FailedTenantCreationLeavesNothing) {
  testing::TestDatabase db;
  Pool pool(Options(db.url()));
  const auto broken = MakeMigrationSet(
      {{"0001_tenants.sql", BuiltinMigrations().public_schema[0].sql}},
      {{"0001_ok.sql", "CREATE TABLE ok (x int);"}, {"0002_bad.sql", "CREATE TABLE ok (x int);"}});
  Migrator m(pool, broken);
  m.MigratePublic();
  tenants::TenantRepository repo(m);
  EXPECT_THROW(pool.InTransaction([&](Transaction& tx) { repo.Create(tx, "salon"); }),
               std::exception);
  EXPECT_EQ(Count(pool, "SELECT count(*) FROM public.tenants"), 0);
  EXPECT_EQ(Count(pool, "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'tenant_%'"), 0);
  EXPECT_EQ(Count(pool, "SELECT count(*) FROM public.schema_migrations WHERE scope <> 'public'"),
            0);
}

TEST(MigrationsTest, EditedMigrationIsRefused) {
  testing::TestDatabase db;
  Pool pool(Options(db.url()));
  const auto original = MakeMigrationSet({{"0001_x.sql", "CREATE TABLE x (a int);"}}, {});
  const auto edited = MakeMigrationSet({{"0001_x.sql", "CREATE TABLE x (a bigint);"}}, {});
  Migrator(pool, original).MigratePublic();
  try {
    Migrator(pool, edited).MigratePublic();
    FAIL() << "an edited migration was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("public/1_x was changed after it was applied"),
              std::string::npos)
        << e.what();
  }
}

TEST(MigrationsTest, FailingMigrationRollsBackAndIsNotRecorded) {
  testing::TestDatabase db;
  Pool pool(Options(db.url()));
  const auto set =
      MakeMigrationSet({{"0001_ok.sql", "CREATE TABLE ok (a int);"},
                        {"0002_bad.sql", "CREATE TABLE half (a int); SELECT no_such_function();"}},
                       {});
  EXPECT_THROW(Migrator(pool, set).MigratePublic(), std::runtime_error);
  EXPECT_EQ(Count(pool, "SELECT count(*) FROM public.schema_migrations"), 1);
  EXPECT_EQ(Count(pool, "SELECT count(*) FROM pg_tables WHERE tablename = 'half'"), 0);
}

TEST(MigrationsTest, BadFileNamesAreRejected) {
  EXPECT_THROW(MakeMigrationSet({{"1_x.sql", ""}}, {}), std::invalid_argument);
  EXPECT_THROW(MakeMigrationSet({{"0001_x.sql", ""}, {"0001_y.sql", ""}}, {}),
               std::invalid_argument);
}

}  // namespace
}  // namespace sloth::db
