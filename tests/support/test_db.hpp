#pragma once

// Each test gets its own database in the throwaway cluster started by scripts/test.sh
// (SLOTH_TEST_DATABASE_URL), so tests run in parallel without seeing each other.

#include <chrono>
#include <memory>
#include <string>

#include "db/migrations.hpp"
#include "db/pool.hpp"

namespace sloth::testing {

// The cluster's admin URL; fails the test run with a clear message when unset.
std::string AdminUrl();

// `base` with its database name replaced by `dbname` (conninfo keyword form).
std::string WithDatabase(const std::string& base, const std::string& dbname);

class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::string url_;
};

// A test database with the public schema migrated and a pool on it, for tests that build
// one concern rather than the whole host; tenants are made with their schemas.
class MigratedDatabase {
 public:
  explicit MigratedDatabase(int pool_size = 4);
  db::Pool& pool() { return *pool_; }
  db::Migrator& migrator() { return *migrator_; }
  db::TenantId CreateTenant(const std::string& name);

 private:
  TestDatabase db_;
  std::unique_ptr<db::Pool> pool_;
  std::unique_ptr<db::Migrator> migrator_;
};

// True once no job is queued or running that is due within `horizon`: every delivery's
// processing, answer and send has run, so a count taken now is final (instead of sleeping
// for as long as a second answer "would have taken"). False at `timeout`.
bool WaitForQuietJobs(const std::string& url, std::chrono::milliseconds timeout,
                      std::chrono::milliseconds horizon = std::chrono::seconds(5));

// Runs a shell command; returns its exit status.
int Shell(const std::string& command);

// A loopback TCP port that was free a moment ago.
int FreePort();

}  // namespace sloth::testing
