// sloth-admin against a real database, run as an operator would.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "db/connection.hpp"
#include "support/host_process.hpp"
#include "support/test_db.hpp"

namespace sloth::testing {
namespace {

class AdminCliTest : public ::testing::Test {
 protected:
  AdminCliTest() {
    config_ = WriteTempFile("database:\n  url: \"" + db_.url() + "\"\nplans_file: " +
                            std::string(SLOTH_SOURCE_DIR) + "/config/plans.yaml\n");
  }
  ~AdminCliTest() override { std::remove(config_.c_str()); }

  std::pair<int, std::string> Run(std::vector<std::string> args,
                                  std::map<std::string, std::string> env = {}) {
    std::vector<std::string> argv = {SLOTH_ADMIN_BINARY, "--config", config_};
    argv.insert(argv.end(), args.begin(), args.end());
    HostProcess p(argv, env);
    const int rc = p.Wait(std::chrono::seconds(60));
    return {rc, p.Log()};
  }
  std::int64_t Scalar(const std::string& sql) {
    return db::Connection::Open(db_.url(), 5, std::chrono::milliseconds(0))->Exec(sql).Int(0, 0);
  }

  TestDatabase db_;
  std::string config_;
};

TEST_F(AdminCliTest, AdminsAndTenants) {
  auto [rc, out] =
      Run({"create-admin", "root@sloth.test"}, {{"SLOTH_ADMIN_PASSWORD", "an admin passphrase"}});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("platform admin root@sloth.test created"), std::string::npos) << out;
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.users WHERE role = 'admin' AND tenant_id IS NULL"),
            1);

  std::tie(rc, out) =
      Run({"create-admin", "root@sloth.test"}, {{"SLOTH_ADMIN_PASSWORD", "an admin passphrase"}});
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("already has an account"), std::string::npos) << out;
  std::tie(rc, out) = Run({"create-admin", "weak@sloth.test"}, {{"SLOTH_ADMIN_PASSWORD", "short"}});
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("password must be at least 10 characters"), std::string::npos) << out;

  std::tie(rc, out) =
      Run({"tenants", "create", "Nail Bar", "owner@nail.test", "--plan", "professional"},
          {{"SLOTH_OWNER_PASSWORD", "owner passphrase 1"}});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("tenant 1 created: Nail Bar, owner owner@nail.test, plan professional"),
            std::string::npos)
      << out;
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_namespace WHERE nspname = 'tenant_1'"), 1);

  std::tie(rc, out) = Run({"tenants", "list"});
  ASSERT_EQ(rc, 0);
  EXPECT_NE(out.find("1\tactive\t"), std::string::npos) << out;
  EXPECT_NE(out.find("Nail Bar"), std::string::npos);

  std::tie(rc, out) = Run({"tenants", "show", "1"});
  ASSERT_EQ(rc, 0) << out;
  const auto j = nlohmann::json::parse(out.substr(out.find('{')));
  EXPECT_EQ(j["plan"], "professional");
  EXPECT_EQ(j["subscription"]["status"], "trialing");
  EXPECT_EQ(j["usage"]["users"]["used"], 1);
  EXPECT_EQ(j["usage"]["users"]["max"], 10);

  std::tie(rc, out) = Run({"tenants", "deactivate", "1"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.tenants WHERE status = 'deactivated'"), 1);
  std::tie(rc, out) = Run({"tenants", "deactivate", "99"});
  EXPECT_EQ(rc, 1);
  EXPECT_NE(out.find("no tenant 99"), std::string::npos);

  std::tie(rc, out) = Run({"migrate", "--parallel", "2"});
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("tenant schemas: 1/1"), std::string::npos) << out;
  EXPECT_NE(out.find("applied 0 tenant migration(s)"), std::string::npos) << out;

  std::tie(rc, out) = Run({"bogus"});
  EXPECT_EQ(rc, 2);
}

}  // namespace
}  // namespace sloth::testing
