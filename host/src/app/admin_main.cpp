// sloth-admin: operations on a Sloth database, with the host's own config file.
//
//   sloth-admin [--config FILE] create-admin EMAIL          password from SLOTH_ADMIN_PASSWORD or
//   stdin sloth-admin [--config FILE] tenants list [--limit N] sloth-admin [--config FILE] tenants
//   create NAME OWNER_EMAIL [--plan SLUG]
//                                                           password from SLOTH_OWNER_PASSWORD or
//                                                           stdin
//   sloth-admin [--config FILE] tenants deactivate ID
//   sloth-admin [--config FILE] tenants show ID             plan, subscription and usage
//   sloth-admin [--config FILE] migrate [--parallel N]      public and every tenant schema

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "accounts/account_repository.hpp"
#include "accounts/passwords.hpp"
#include "accounts/sign_up.hpp"
#include "api/validation.hpp"
#include "app/component_options.hpp"
#include "billing/plan_catalog.hpp"
#include "billing/subscription_repository.hpp"
#include "config/host_config.hpp"
#include "errors/error.hpp"
#include "log/log.hpp"
#include "tenants/tenant_repository.hpp"

namespace {

int Usage() {
  std::cerr << "usage: sloth-admin [--config FILE] COMMAND\n"
               "  create-admin EMAIL\n"
               "  tenants list [--limit N]\n"
               "  tenants create NAME OWNER_EMAIL [--plan SLUG]\n"
               "  tenants deactivate ID\n"
               "  tenants show ID\n"
               "  migrate [--parallel N]\n";
  return 2;
}

std::string Password(const char* env_name) {
  if (const char* v = std::getenv(env_name)) return v;
  std::string line;
  std::cerr << "password: ";
  std::getline(std::cin, line);
  return line;
}

std::int64_t Id(const std::string& s) {
  std::size_t pos = 0;
  const auto v = std::stoll(s, &pos);
  if (pos != s.size() || v <= 0) throw std::invalid_argument("not an id: " + s);
  return v;
}

std::string Option(std::vector<std::string>& args, const std::string& name,
                   const std::string& def) {
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == name) {
      std::string v = args[i + 1];
      args.erase(args.begin() + static_cast<long>(i), args.begin() + static_cast<long>(i) + 2);
      return v;
    }
  }
  return def;
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path = "config/host.yaml";
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if ((a == "--config" || a == "-c") && i + 1 < argc) {
      config_path = argv[++i];
    } else {
      args.push_back(a);
    }
  }
  if (args.empty()) return Usage();

  sloth::config::HostConfig cfg;
  try {
    cfg = sloth::config::LoadHostConfig(config_path);
    sloth::log::Setup(cfg.log.level == "info" ? "warn" : cfg.log.level, cfg.log.format);
  } catch (const std::exception& e) {
    std::cerr << "sloth-admin: invalid configuration: " << e.what() << "\n";
    return 2;
  }

  try {
    sloth::db::Pool pool(sloth::app::PoolOptionsFrom(cfg.database));
    sloth::db::Migrator migrator(pool, sloth::db::BuiltinMigrations());
    migrator.MigratePublic();
    sloth::billing::SyncPlans(pool, sloth::billing::LoadPlans(cfg.plans_file));
    sloth::accounts::AccountRepository accounts;
    sloth::tenants::TenantRepository tenants(migrator);
    const std::string cmd = args[0];

    if (cmd == "migrate") {
      const int parallel = std::stoi(Option(args, "--parallel", "4"));
      const int n = migrator.MigrateTenants(parallel, [](int done, int total) {
        std::cout << "\rtenant schemas: " << done << "/" << total << std::flush;
      });
      std::cout << "\napplied " << n << " tenant migration(s)\n";
      return 0;
    }
    if (cmd == "create-admin" && args.size() == 2) {
      const std::string email = args[1];
      if (!sloth::api::IsEmail(email))
        throw std::invalid_argument("not an email address: " + email);
      const std::string password = Password("SLOTH_ADMIN_PASSWORD");
      if (auto problem = sloth::accounts::PasswordProblem(password, email)) {
        throw std::invalid_argument("password " + *problem);
      }
      const auto user = pool.InTransaction([&](sloth::db::Transaction& tx) {
        if (accounts.FindUserByEmail(tx, email))
          throw std::invalid_argument(email + " already has an account");
        return accounts.InsertUser(tx, email, sloth::accounts::HashPassword(password), "admin",
                                   std::nullopt, "en");
      });
      std::cout << "platform admin " << user.email << " created (id " << user.id << ")\n";
      return 0;
    }
    if (cmd == "tenants" && args.size() >= 2) {
      const std::string sub = args[1];
      if (sub == "list") {
        const int limit = std::stoi(Option(args, "--limit", "100"));
        pool.InTransaction([&](sloth::db::Transaction& tx) {
          for (const auto& t : tenants.List(tx, limit, 0)) {
            std::cout << t.id.value << "\t" << t.status << "\t" << t.created_at << "\t" << t.name
                      << "\n";
          }
        });
        return 0;
      }
      if (sub == "create" && args.size() >= 4) {
        const std::string plan = Option(args, "--plan", "");
        sloth::accounts::SignUpRequest req{
            args[3], Password("SLOTH_OWNER_PASSWORD"), args[2], plan, std::nullopt, "en"};
        const auto done = pool.InTransaction([&](sloth::db::Transaction& tx) {
          return sloth::accounts::SignUp(tx, migrator, req, "free");
        });
        std::cout << "tenant " << done.tenant.id.value << " created: " << done.tenant.name
                  << ", owner " << done.owner.email << ", plan " << done.plan.slug << "\n";
        return 0;
      }
      if (sub == "deactivate" && args.size() == 3) {
        const auto id = Id(args[2]);
        const bool ok = pool.InTransaction([&](sloth::db::Transaction& tx) {
          const bool changed = tenants.Deactivate(tx, sloth::db::TenantId{id});
          accounts.RevokeTenantTokens(tx, id);  // deactivation ends every session
          return changed;
        });
        if (!ok) throw std::invalid_argument("no tenant " + args[2]);
        std::cout << "tenant " << id << " deactivated\n";
        return 0;
      }
      if (sub == "show" && args.size() == 3) {
        const auto id = Id(args[2]);
        const auto out = pool.InTransaction([&](sloth::db::Transaction& tx) {
          const auto org = accounts.FindOrganization(tx, id);
          if (!org) throw std::invalid_argument("no tenant " + args[2]);
          const auto plan = sloth::billing::FindPlan(tx, org->plan);
          nlohmann::json j = {
              {"id", org->id}, {"name", org->name}, {"status", org->status}, {"plan", org->plan}};
          if (const auto s = sloth::billing::SubscriptionRepository().Find(tx, id)) {
            j["subscription"] = {{"status", s->status},
                                 {"billing_cycle", s->billing_cycle},
                                 {"trial_end", s->trial_end ? nlohmann::json(*s->trial_end)
                                                            : nlohmann::json(nullptr)},
                                 {"period_start", s->current_period_start},
                                 {"period_end", s->current_period_end}};
          }
          j["usage"] = {{"users",
                         {{"used", accounts.CountTenantUsers(tx, id)},
                          {"max", plan ? plan->Limit("users") : 0}}},
                        {"pending_invitations", accounts.CountPendingInvitations(tx, id)}};
          if (plan) j["limits"] = plan->limits;
          return j;
        });
        std::cout << out.dump(2) << "\n";
        return 0;
      }
    }
    return Usage();
  } catch (const sloth::errors::Error& e) {
    std::cerr << "sloth-admin: " << (e.field().empty() ? "" : e.field() + ": ") << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "sloth-admin: " << e.what() << "\n";
    return 1;
  }
}
