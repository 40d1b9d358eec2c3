#include "db/migrations.hpp"

#include <atomic>
#include <cstdio>
#include <map>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>

namespace sloth::db {
namespace {

constexpr const char* kBootstrap = R"SQL(
CREATE TABLE IF NOT EXISTS public.schema_migrations (
  scope      text        NOT NULL,
  version    integer     NOT NULL,
  name       text        NOT NULL,
  checksum   text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, version)
))SQL";

std::vector<Migration> Parse(const std::vector<std::pair<std::string, std::string>>& files,
                             const std::string& kind) {
  static const std::regex name_re(R"(^(\d{4})_([a-z0-9_]+)\.sql$)");
  std::map<int, Migration> by_version;
  for (const auto& [file, sql] : files) {
    std::smatch m;
    if (!std::regex_match(file, m, name_re)) {
      throw std::invalid_argument(kind + " migration '" + file + "' is not named NNNN_name.sql");
    }
    Migration mig{std::stoi(m[1]), m[2], sql};
    if (!by_version.emplace(mig.version, mig).second) {
      throw std::invalid_argument(kind + " migration version " + std::string(m[1]) +
                                  " appears twice");
    }
  }
  std::vector<Migration> out;
  for (auto& [v, mig] : by_version) out.push_back(std::move(mig));
  return out;
}

// Scope names double as advisory-lock keys (hashtext) so each scope migrates alone.
void Lock(Connection& c, const std::string& scope) {
  c.Exec("SELECT pg_advisory_lock(hashtext('sloth.migrate.' || $1))", scope);
}
void Unlock(Connection& c, const std::string& scope) {
  c.Exec("SELECT pg_advisory_unlock(hashtext('sloth.migrate.' || $1))", scope);
}

}  // namespace

std::string Migration::Checksum() const {
  std::uint64_t h = 1469598103934665603ull;  // FNV-1a: stable across builds and platforms
  for (unsigned char ch : sql) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

MigrationSet MakeMigrationSet(
    const std::vector<std::pair<std::string, std::string>>& public_files,
    const std::vector<std::pair<std::string, std::string>>& tenant_files) {
  return MigrationSet{Parse(public_files, "public"), Parse(tenant_files, "tenant")};
}

std::string MigrationStatus::Describe() const {
  if (Current()) return "migrations current";
  std::string s;
  if (public_applied != public_latest) {
    s = "public schema at migration " + std::to_string(public_applied) + ", this host expects " +
        std::to_string(public_latest);
  }
  if (tenants_behind > 0) {
    if (!s.empty()) s += "; ";
    s += std::to_string(tenants_behind) + " tenant schema(s) behind";
  }
  return s;
}

Migrator::Migrator(Pool& pool, const MigrationSet& set) : pool_(pool), set_(set) {}

int Migrator::ApplyPending(Connection& c, const std::string& scope,
                           const std::vector<Migration>& list, bool own_transactions) {
  std::map<int, std::string> applied;
  auto rows =
      c.Exec("SELECT version, checksum FROM public.schema_migrations WHERE scope = $1", scope);
  for (int i = 0; i < rows.Rows(); ++i) applied[static_cast<int>(rows.Int(i, 0))] = rows.Text(i, 1);

  const bool tenant = scope != "public";
  int count = 0;
  for (const auto& m : list) {
    const std::string sum = m.Checksum();
    if (auto it = applied.find(m.version); it != applied.end()) {
      if (it->second != sum) {
        throw std::runtime_error("migration " + scope + "/" + std::to_string(m.version) + "_" +
                                 m.name + " was changed after it was applied (checksum " +
                                 it->second + " in the database, " + sum +
                                 " in this build); add a new migration instead");
      }
      continue;
    }
    if (own_transactions) c.Exec("BEGIN");
    try {
      if (tenant) c.Exec("SELECT set_config('search_path', $1, true)", scope + ", public");
      c.ExecScript(m.sql);
      c.Exec(
          "INSERT INTO public.schema_migrations (scope, version, name, checksum) "
          "VALUES ($1, $2, $3, $4)",
          scope, m.version, m.name, sum);
      if (own_transactions) c.Exec("COMMIT");
    } catch (const std::exception& e) {
      if (own_transactions && c.Ok()) c.Exec("ROLLBACK");
      throw std::runtime_error("migration " + scope + "/" + std::to_string(m.version) + "_" +
                               m.name + " failed: " + e.what());
    }
    spdlog::info("migrations: applied {}/{:04d}_{}", scope, m.version, m.name);
    ++count;
  }
  return count;
}

Migrator::SessionConnection Migrator::OpenSession() {
  SessionConnection s;
  if (session_url_.empty()) {
    s.lease.emplace(pool_.Acquire());
  } else {
    s.own = Connection::Open(session_url_, connect_timeout_s_, std::chrono::milliseconds(0));
  }
  return s;
}

int Migrator::MigratePublic() {
  SessionConnection lease = OpenSession();
  Connection& c = *lease;
  Lock(c, "public");
  try {
    c.ExecScript(kBootstrap);
    const int n = ApplyPending(c, "public", set_.public_schema, true);
    Unlock(c, "public");
    return n;
  } catch (const ConnectionLost&) {
    lease.Discard();  // the server released the session lock with the connection
    throw;
  } catch (...) {
    if (c.Ok()) Unlock(c, "public");
    throw;
  }
}

void Migrator::CreateTenantSchema(Transaction& tx, TenantId tenant) {
  if (tenant.value <= 0) throw std::invalid_argument("tenant id must be positive");
  Connection& c = tx.connection();
  const std::string schema = tenant.Schema();
  const std::string previous = tx.Exec("SELECT current_setting('search_path')").Text(0, 0);
  tx.Exec("CREATE SCHEMA " + c.EscapeIdentifier(schema));
  ApplyPending(c, schema, set_.tenant_schema, false);
  tx.Exec("SELECT set_config('search_path', $1, true)", previous);
}

int Migrator::MigrateTenant(TenantId tenant) {
  const std::string scope = tenant.Schema();
  SessionConnection lease = OpenSession();
  Connection& c = *lease;
  Lock(c, scope);
  try {
    const int n = ApplyPending(c, scope, set_.tenant_schema, true);
    Unlock(c, scope);
    return n;
  } catch (const ConnectionLost&) {
    lease.Discard();
    throw;
  } catch (...) {
    if (c.Ok()) Unlock(c, scope);
    throw;
  }
}

int Migrator::MigrateTenants(int parallel, const std::function<void(int, int)>& progress) {
  std::vector<std::int64_t> ids;
  {
    Lease lease = pool_.Acquire();
    auto r = lease->Exec("SELECT id FROM public.tenants ORDER BY id");
    for (int i = 0; i < r.Rows(); ++i) ids.push_back(r.Int(i, 0));
  }
  const int total = static_cast<int>(ids.size());
  std::atomic<int> next{0}, done{0}, applied{0};
  std::mutex mu;
  std::vector<std::string> errors;
  auto worker = [&] {
    for (int i = next++; i < total; i = next++) {
      try {
        applied += MigrateTenant(TenantId{ids[static_cast<std::size_t>(i)]});
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(mu);
        errors.push_back(e.what());
      }
      const int d = ++done;
      if (progress) {
        std::lock_guard<std::mutex> lock(mu);
        progress(d, total);
      }
    }
  };
  std::vector<std::thread> threads;
  const int n = std::max(1, std::min(parallel, total));
  for (int i = 0; i < n; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (!errors.empty()) {
    throw std::runtime_error(std::to_string(errors.size()) +
                             " tenant(s) failed to migrate; first: " + errors.front());
  }
  return applied;
}

MigrationStatus Migrator::Status() {
  MigrationStatus s;
  s.public_latest = set_.LatestPublic();
  pool_.InTransaction([&](Transaction& tx) {
    if (tx.Exec("SELECT to_regclass('public.schema_migrations') IS NOT NULL").Bool(0, 0)) {
      s.public_applied =
          static_cast<int>(tx.Exec("SELECT coalesce(max(version), 0) FROM public.schema_migrations "
                                   "WHERE scope = 'public'")
                               .Int(0, 0));
    }
    if (tx.Exec("SELECT to_regclass('public.tenants') IS NOT NULL").Bool(0, 0)) {
      s.tenants_behind =
          tx.Exec(
                "SELECT count(*) FROM public.tenants t WHERE coalesce((SELECT max(version) "
                "FROM public.schema_migrations m WHERE m.scope = 'tenant_' || t.id), 0) < $1",
                set_.LatestTenant())
              .Int(0, 0);
    }
  });
  return s;
}

}  // namespace sloth::db
