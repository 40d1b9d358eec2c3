#include "support/test_db.hpp"
#include "support/wait.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <stdexcept>

#include <Poco/Net/ServerSocket.h>
#include <libpq-fe.h>

#include "db/connection.hpp"
#include "tenants/tenant_repository.hpp"

namespace sloth::testing {

std::string AdminUrl() {
  const char* url = std::getenv("SLOTH_TEST_DATABASE_URL");
  if (!url || !*url) {
    throw std::runtime_error(
        "SLOTH_TEST_DATABASE_URL is not set: run the tests through scripts/test.sh, which starts "
        "a throwaway PostgreSQL");
  }
  return url;
}

std::string WithDatabase(const std::string& base, const std::string& dbname) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(base.c_str(), &err);
  if (!opts) {
    std::string msg = err ? err : "invalid conninfo";
    PQfreemem(err);
    throw std::runtime_error(msg);
  }
  std::string out;
  auto quote = [](const std::string& v) {
    std::string q = "'";
    for (char c : v) {
      if (c == '\'' || c == '\\') q += '\\';
      q += c;
    }
    return q + "'";
  };
  for (PQconninfoOption* o = opts; o->keyword; ++o) {
    if (std::string(o->keyword) == "dbname") continue;
    if (o->val && *o->val) out += std::string(o->keyword) + "=" + quote(o->val) + " ";
  }
  PQconninfoFree(opts);
  return out + "dbname=" + quote(dbname);
}

TestDatabase::TestDatabase() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  name_ = "sloth_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++) + "_" +
          std::to_string(rd() % 100000);
  auto admin = db::Connection::Open(AdminUrl(), 10, std::chrono::milliseconds(0));
  admin->Exec("CREATE DATABASE " + admin->EscapeIdentifier(name_));
  url_ = WithDatabase(AdminUrl(), name_);
}

TestDatabase::~TestDatabase() {
  try {
    auto admin = db::Connection::Open(AdminUrl(), 10, std::chrono::milliseconds(0));
    admin->Exec("DROP DATABASE IF EXISTS " + admin->EscapeIdentifier(name_) + " WITH (FORCE)");
  } catch (...) {
    // The cluster is thrown away after the run; a leftover database harms nothing.
  }
}

bool WaitForQuietJobs(const std::string& url, std::chrono::milliseconds timeout,
                      std::chrono::milliseconds horizon) {
  auto c = db::Connection::Open(url, 10, std::chrono::milliseconds(0));
  return WaitUntil(
      [&] {
        return c->Exec(
                    "SELECT count(*) FROM public.jobs WHERE state IN ('queued', 'running') AND "
                    "run_at <= now() + make_interval(secs => $1::bigint / 1000.0)",
                    static_cast<std::int64_t>(horizon.count()))
                   .Int(0, 0) == 0;
      },
      timeout, std::chrono::milliseconds(20));
}

int Shell(const std::string& command) {
  const int rc = std::system(command.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int FreePort() {
  Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0), true);
  return s.address().port();
}

MigratedDatabase::MigratedDatabase(int pool_size) {
  db::PoolOptions po;
  po.url = db_.url();
  po.size = pool_size;
  pool_ = std::make_unique<db::Pool>(po);
  migrator_ = std::make_unique<db::Migrator>(*pool_, db::BuiltinMigrations());
  migrator_->MigratePublic();
}

db::TenantId MigratedDatabase::CreateTenant(const std::string& name) {
  tenants::TenantRepository repo(*migrator_);
  return pool_->InTransaction([&](db::Transaction& tx) { return repo.Create(tx, name).id; });
}

}  // namespace sloth::testing
