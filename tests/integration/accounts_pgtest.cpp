// Accounts against an in-process host on loopback with a real database: the token cycle,
// refused tokens, tenant isolation over every tenant-scoped route, concurrency, limits.

#include <atomic>
#include <regex>
#include <set>
#include <thread>

#include <Poco/Base64Encoder.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "accounts/account_repository.hpp"
#include "accounts/passwords.hpp"
#include "app/host_app.hpp"
#include "db/connection.hpp"
#include "support/host_process.hpp"
#include "support/test_db.hpp"
#include "support/wait.hpp"

namespace sloth::accounts {
namespace {

using json = nlohmann::json;
using testing::HttpCall;

const std::string kSecret = "test-secret-0123456789-abcdefghijklmnop";

class AccountsTest : public ::testing::Test {
 protected:
  // `extra`: more top-level sections; `http_extra`: more keys under http (indented).
  void Start(const std::string& extra = "", const std::string& http_extra = "") {
    app_ = MakeHost(extra, http_extra);
    app_->Start();
    port_ = app_->port();
  }
  std::unique_ptr<app::HostApp> MakeHost(const std::string& extra = "",
                                         const std::string& http_extra = "",
                                         const std::string& auth_extra = "") {
    const std::string yaml =
        "http:\n  host: 127.0.0.1\n  port: 0\n" + http_extra + "database:\n  url: \"" + db_.url() +
        "\"\nplans_file: " + SLOTH_SOURCE_DIR + "/config/plans.yaml\n" +
        "auth:\n  jwt_secret: " + kSecret + "\n" + auth_extra + "log:\n  level: warn\n" + extra;
    return std::make_unique<app::HostApp>(config::ParseHostConfig(
        yaml, "test.yaml", [](const std::string&) { return std::nullopt; }));
  }
  void TearDown() override {
    if (app_) app_->Stop();
  }

  testing::HttpResult Call(const std::string& method, const std::string& path,
                           const json& body = nullptr, const std::string& token = "") {
    return HttpCall(port_, method, path, body.is_null() ? "" : body.dump(), token);
  }
  static json J(const testing::HttpResult& r) {
    return json::parse(r.body.empty() ? "null" : r.body);
  }

  json Register(const std::string& email, const std::string& org,
                const std::string& plan = "starter") {
    auto r = Call("POST", "/api/auth/register",
                  {{"email", email},
                   {"password", "a long passphrase 42"},
                   {"organization_name", org},
                   {"plan", plan}});
    EXPECT_EQ(r.status, 201) << r.body;
    return J(r);
  }

  std::int64_t Scalar(const std::string& sql) {
    auto c = db::Connection::Open(db_.url(), 5, std::chrono::milliseconds(0));
    return c->Exec(sql).Int(0, 0);
  }

  testing::TestDatabase db_;
  std::unique_ptr<app::HostApp> app_;
  int port_ = 0;
};

TEST_F(AccountsTest, TheWholeTokenCycle) {
  Start();
  const auto reg = Register("owner@salon.test", "Salon One");
  EXPECT_EQ(reg["token_type"], "Bearer");
  EXPECT_EQ(reg["expires_in"], 900);
  EXPECT_EQ(reg["user"]["role"], "owner");
  EXPECT_EQ(reg["organization"]["plan"], "starter");

  auto login = Call("POST", "/api/auth/login",
                    {{"email", "OWNER@salon.test"}, {"password", "a long passphrase 42"}});
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string access = J(login)["access_token"];
  const std::string refresh1 = J(login)["refresh_token"];

  auto me = Call("GET", "/api/auth/me", nullptr, access);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(J(me)["email"], "owner@salon.test");
  EXPECT_EQ(J(me)["organization"]["name"], "Salon One");
  EXPECT_EQ(J(me)["organization"]["plan"], "starter");

  auto r2 = Call("POST", "/api/auth/refresh", {{"refresh_token", refresh1}});
  ASSERT_EQ(r2.status, 200) << r2.body;
  const std::string refresh2 = J(r2)["refresh_token"];
  EXPECT_NE(refresh2, refresh1);
  EXPECT_EQ(Call("GET", "/api/auth/me", nullptr, J(r2)["access_token"]).status, 200);

  // The old token again: refused, and the whole family (refresh2 included) is revoked.
  auto reuse = Call("POST", "/api/auth/refresh", {{"refresh_token", refresh1}});
  EXPECT_EQ(reuse.status, 401);
  EXPECT_EQ(J(reuse)["error"]["code"], "unauthenticated");
  EXPECT_EQ(Call("POST", "/api/auth/refresh", {{"refresh_token", refresh2}}).status, 401);

  // A new login is a new family; logout revokes it.
  login = Call("POST", "/api/auth/login",
               {{"email", "owner@salon.test"}, {"password", "a long passphrase 42"}});
  const std::string refresh3 = J(login)["refresh_token"];
  EXPECT_EQ(Call("POST", "/api/auth/logout", {{"refresh_token", refresh3}}).status, 204);
  EXPECT_EQ(Call("POST", "/api/auth/refresh", {{"refresh_token", refresh3}}).status, 401);
  // The registration's own session is unaffected.
  EXPECT_EQ(Call("POST", "/api/auth/refresh", {{"refresh_token", reg["refresh_token"]}}).status,
            200);

  EXPECT_EQ(Call("POST", "/api/auth/login",
                 {{"email", "owner@salon.test"}, {"password", "wrong password!!"}})
                .status,
            401);
  EXPECT_EQ(
      Call("POST", "/api/auth/login", {{"email", "nobody@salon.test"}, {"password", "whatever123"}})
          .status,
      401);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.refresh_tokens WHERE token_hash LIKE '%-%'"), 0);
}

std::string B64Url(const std::string& s) {
  std::ostringstream os;
  Poco::Base64Encoder enc(os, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
  enc.rdbuf()->setLineLength(0);
  enc << s;
  enc.close();
  return os.str();
}

TEST_F(AccountsTest, BadTokensAreRefused) {
  Start();
  const auto reg = Register("owner@salon.test", "Salon One");
  const std::string good = reg["access_token"];
  ASSERT_EQ(Call("GET", "/api/auth/me", nullptr, good).status, 200);

  auto sign = [](Poco::JWT::Token& t, const std::string& key = kSecret) {
    return Poco::JWT::Signer(key).sign(t, Poco::JWT::Signer::ALGO_HS256);
  };
  auto base = [] {
    Poco::JWT::Token t;
    t.setType("at+jwt");
    t.setIssuer("sloth");
    t.setAudience("sloth-api");
    t.setSubject("1");
    t.payload().set("role", std::string("owner"));
    t.payload().set("tid", std::string("1"));
    const Poco::Timestamp now;
    t.setIssuedAt(now);
    t.setExpiration(now + Poco::Timespan(600, 0));
    return t;
  };
  std::map<std::string, std::string> bad;
  {
    auto t = base();
    t.setIssuedAt(Poco::Timestamp() - Poco::Timespan(3600, 0));
    t.setExpiration(Poco::Timestamp() - Poco::Timespan(60, 0));
    bad["expired"] = sign(t);
  }
  {
    // Change a character inside the signature (the last one may only carry padding bits).
    std::string forged = good;
    char& c = forged[forged.size() - 10];
    c = c == 'A' ? 'B' : 'A';
    bad["forged signature"] = forged;
    auto t = base();
    bad["other key"] = sign(t, "another-secret-0123456789-abcdefghijkl");
  }
  {
    // alg "none" with an empty signature, claiming to be an admin.
    const std::string header = B64Url(R"({"alg":"none","typ":"at+jwt"})");
    const std::string payload = B64Url(
        R"({"iss":"sloth","aud":"sloth-api","sub":"1","role":"admin","iat":1,"exp":9999999999})");
    bad["alg none"] = header + "." + payload + ".";
  }
  {
    auto t = base();
    t.setAudience("someone-else");
    bad["wrong audience"] = sign(t);
  }
  {
    auto t = base();
    t.setType("JWT");
    bad["wrong typ"] = sign(t);
  }
  {
    auto t = base();
    t.setIssuer("evil");
    bad["wrong issuer"] = sign(t);
  }
  bad["garbage"] = "not.a.jwt";
  for (const auto& [what, token] : bad) {
    const auto r = Call("GET", "/api/auth/me", nullptr, token);
    EXPECT_EQ(r.status, 401) << what << ": " << r.body;
    EXPECT_EQ(J(r)["error"]["code"], "unauthenticated") << what;
  }
  EXPECT_EQ(Call("GET", "/api/auth/me").status, 401);
}

TEST_F(AccountsTest, NoTenantScopedRouteServesAnotherTenantsObjects) {
  Start();
  const auto a = Register("a@salon.test", "Salon A", "professional");
  const auto b = Register("b@salon.test", "Salon B", "professional");
  const std::string a_token = a["access_token"];
  const std::string b_token = b["access_token"];
  // B's objects: an invitation, a staff member, the owner, the organisation.
  auto inv = Call("POST", "/api/auth/invite", {{"email", "b-staff@salon.test"}}, b_token);
  ASSERT_EQ(inv.status, 201) << inv.body;
  auto accepted = Call("POST", "/api/auth/invite/accept",
                       {{"token", J(inv)["invite_token"]}, {"password", "another passphrase 7"}});
  ASSERT_EQ(accepted.status, 201) << accepted.body;
  auto inv2 = Call("POST", "/api/auth/invite", {{"email", "b-pending@salon.test"}}, b_token);
  ASSERT_EQ(inv2.status, 201);
  const std::set<std::string> b_ids = {J(inv)["id"].dump(), J(inv2)["id"].dump(),
                                       J(accepted)["user"]["id"].dump(), b["user"]["id"].dump(),
                                       b["organization"]["id"].dump()};
  const std::vector<std::string> b_secrets = {"b@salon.test", "b-staff@salon.test",
                                              "b-pending@salon.test", "Salon B"};

  // Every tenant-scoped route, read from the router itself.
  int checked = 0;
  for (const auto& route : app_->router().routes()) {
    if (!route.options.tenant_scoped) continue;
    std::vector<std::string> paths;
    if (route.pattern.find('{') == std::string::npos) {
      paths.push_back(route.pattern);
    } else {
      for (const auto& id : b_ids)
        paths.push_back(std::regex_replace(route.pattern, std::regex(R"(\{[^}]+\})"), id));
    }
    for (const auto& path : paths) {
      const auto r = Call(route.method, path, json::object(), a_token);
      ++checked;
      for (const auto& secret : b_secrets) {
        EXPECT_EQ(r.body.find(secret), std::string::npos)
            << route.method << " " << path << " leaked " << secret;
      }
      // {n} is an ordinal within the caller's own organisation (a prompt version), not an
      // object id: the caller's own version n exists; only leaks matter there.
      const bool ordinal = route.pattern.find("{n}") != std::string::npos;
      if (path != route.pattern && !ordinal) {
        EXPECT_TRUE(r.status == 404 || r.status == 403)
            << route.method << " " << path << " -> " << r.status << " " << r.body;
      }
    }
  }
  EXPECT_GE(checked, 8);
  // Nothing of B's was touched.
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.users WHERE email LIKE 'b%'"), 2);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.invitations WHERE email LIKE 'b-%'"), 2);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.tenants WHERE name = 'Salon B'"), 1);
}

TEST_F(AccountsTest, ConcurrentRegistrationsWithOneEmail) {
  Start("database:\n  pool_size: 24\n");
  constexpr int kN = 20;
  std::vector<int> statuses(kN);
  std::vector<std::thread> threads;
  for (int i = 0; i < kN; ++i) {
    threads.emplace_back([&, i] {
      statuses[static_cast<std::size_t>(i)] =
          Call("POST", "/api/auth/register",
               {{"email", "same@salon.test"},
                {"password", "a long passphrase 42"},
                {"organization_name", "Org " + std::to_string(i)}})
              .status;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 201), 1);
  EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 409), kN - 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.users"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.tenants"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.subscriptions"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'"), 1);
}

TEST_F(AccountsTest, AnonymousRateLimit) {
  Start();
  for (int i = 0; i < 100; ++i) {
    ASSERT_EQ(Call("POST", "/api/auth/logout", {{"refresh_token", "nothing"}}).status, 204) << i;
  }
  const auto r = Call("POST", "/api/auth/logout", {{"refresh_token", "nothing"}});
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(J(r)["error"]["code"], "rate_limited");
  ASSERT_TRUE(r.headers.count("Retry-After"));
  EXPECT_GE(std::stoi(r.headers.at("Retry-After")), 1);
}

TEST_F(AccountsTest, PublicRoutesAreLimitedPerAddressWhateverTokenIsSent) {
  Start("rate_limits:\n  anonymous_per_hour: 4\n");
  const std::string token = Register("first@salon.test", "First")["access_token"];  // 1 of 4
  // A valid token used to move sign-ups to its user's (larger) allowance: each one a schema.
  int created = 0, refused = 0;
  for (int i = 0; i < 6; ++i) {
    const auto r = Call("POST", "/api/auth/register",
                        {{"email", "more" + std::to_string(i) + "@salon.test"},
                         {"password", "a long passphrase 42"},
                         {"organization_name", "More " + std::to_string(i)}},
                        token);
    (r.status == 201 ? created : refused) += 1;
    if (r.status != 201) {
      EXPECT_EQ(r.status, 429) << r.body;
    }
  }
  EXPECT_EQ(created, 3);
  EXPECT_EQ(refused, 3);
  EXPECT_EQ(Scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'tenant\\_%'"), 4);
  // The signed-in routes still count against the user.
  EXPECT_EQ(Call("GET", "/api/auth/me", nullptr, token).status, 200);
}

TEST_F(AccountsTest, ClientAddressComesFromTrustedProxiesOnly) {
  // Without trusted proxies X-Forwarded-For is the client's own claim: ignored.
  Start("rate_limits:\n  anonymous_per_hour: 2\n");
  auto logout = [&](const std::string& forwarded) {
    return HttpCall(port_, "POST", "/api/auth/logout", R"({"refresh_token":"x"})", "",
                    {{"X-Forwarded-For", forwarded}})
        .status;
  };
  EXPECT_EQ(logout("198.51.100.1"), 204);
  EXPECT_EQ(logout("198.51.100.2"), 204);
  EXPECT_EQ(logout("198.51.100.3"), 429);  // all three are 127.0.0.1
  app_->Stop();

  // Behind a trusted balancer each forwarded client has its own allowance; a hop the
  // client prepended itself is not believed, and IPv6 clients share one per /64.
  Start("rate_limits:\n  anonymous_per_hour: 2\n", "  trusted_proxies: [127.0.0.0/8]\n");
  EXPECT_EQ(logout("198.51.100.1"), 204);
  EXPECT_EQ(logout("198.51.100.1"), 204);
  EXPECT_EQ(logout("198.51.100.1"), 429);
  EXPECT_EQ(logout("198.51.100.2"), 204);
  EXPECT_EQ(logout("203.0.113.9, 198.51.100.1"), 429);  // the real client is the last hop
  EXPECT_EQ(logout("2001:db8:1:2::10"), 204);
  EXPECT_EQ(logout("2001:db8:1:2:ffff::1"), 204);
  EXPECT_EQ(logout("2001:db8:1:2:abcd::2"), 429);  // same /64
  EXPECT_EQ(logout("2001:db8:1:3::10"), 204);      // the next /64
}

TEST_F(AccountsTest, SessionsEndAtLogoutAtAPasswordChangeAndAtTheirLifetime) {
  Start();
  Register("owner@salon.test", "Salon");
  auto login = [&](const std::string& password) {
    return Call("POST", "/api/auth/login", {{"email", "owner@salon.test"}, {"password", password}});
  };
  const json s1 = J(login("a long passphrase 42")), s2 = J(login("a long passphrase 42"));
  auto me = [&](const json& s) {
    return Call("GET", "/api/auth/me", nullptr, s["access_token"]).status;
  };
  ASSERT_EQ(me(s1), 200);
  ASSERT_EQ(me(s2), 200);
  // Logging out one session rejects its access token at once, not in 15 minutes; the other
  // session is untouched.
  EXPECT_EQ(Call("POST", "/api/auth/logout", {{"refresh_token", s1["refresh_token"]}}).status, 204);
  EXPECT_EQ(me(s1), 401);
  EXPECT_EQ(me(s2), 200);

  // A rotation keeps the session's end.
  const json s2b = J(Call("POST", "/api/auth/refresh", {{"refresh_token", s2["refresh_token"]}}));
  ASSERT_TRUE(s2b.contains("access_token")) << s2b;
  const std::string rotated =
      "family = (SELECT family FROM public.refresh_tokens WHERE used_at IS NOT NULL)";
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.refresh_tokens WHERE " + rotated), 2);
  EXPECT_EQ(Scalar("SELECT count(DISTINCT session_expires_at) FROM public.refresh_tokens WHERE " +
                   rotated),
            1);

  // A password change ends every session, and answers with a new one.
  auto change =
      Call("POST", "/api/auth/password",
           {{"current_password", "wrong password 1"}, {"new_password", "x"}}, s2b["access_token"]);
  EXPECT_EQ(change.status, 401);
  EXPECT_EQ(J(change)["error"]["field"], "current_password");
  change = Call("POST", "/api/auth/password",
                {{"current_password", "a long passphrase 42"}, {"new_password", "short"}},
                s2b["access_token"]);
  EXPECT_EQ(change.status, 400);
  EXPECT_EQ(J(change)["error"]["field"], "new_password");
  change = Call(
      "POST", "/api/auth/password",
      {{"current_password", "a long passphrase 42"}, {"new_password", "another long passphrase 7"}},
      s2b["access_token"]);
  ASSERT_EQ(change.status, 200) << change.body;
  const json s3 = J(change);
  EXPECT_EQ(me(s2b), 401);
  EXPECT_EQ(Call("POST", "/api/auth/refresh", {{"refresh_token", s2b["refresh_token"]}}).status,
            401);
  EXPECT_EQ(me(s3), 200);
  EXPECT_EQ(login("a long passphrase 42").status, 401);
  EXPECT_EQ(login("another long passphrase 7").status, 200);

  // The session's end is absolute: past it, neither its refresh nor its access token works.
  EXPECT_EQ(Scalar("WITH ended AS (UPDATE public.refresh_tokens SET session_expires_at = now() - "
                   "interval '1 second' WHERE revoked_at IS NULL RETURNING 1) "
                   "SELECT count(*) FROM ended"),
            2);  // s3's and the last login's
  const auto late = Call("POST", "/api/auth/refresh", {{"refresh_token", s3["refresh_token"]}});
  EXPECT_EQ(late.status, 401);
  EXPECT_NE(late.body.find("expired"), std::string::npos) << late.body;
  // Changed behind the host's back, like another host would: refused once the host's memory
  // of the live session (auth.session_check_ms) runs out.
  testing::WaitUntil([&] { return me(s3) == 401; }, std::chrono::seconds(10));
  EXPECT_EQ(me(s3), 401);
}

// Every host remembers a session it found live for auth.session_check_ms (1 s) instead of
// asking the database on each request; a deactivation made elsewhere (sloth-admin writes it
// straight to the database) is refused on every host once that runs out, and with 0 at once.
TEST_F(AccountsTest, ADeactivationIsRefusedOnEveryHost) {
  for (const std::string check_ms : {"1000", "0"}) {
    SCOPED_TRACE("session_check_ms " + check_ms);
    const std::string email = "owner" + check_ms + "@salon.test";
    std::vector<std::unique_ptr<app::HostApp>> hosts;
    for (int i = 0; i < 2; ++i) {
      hosts.push_back(MakeHost("", "", "  session_check_ms: " + check_ms + "\n"));
      hosts.back()->Start();
    }
    port_ = hosts[0]->port();
    const json owner = Register(email, "Salon " + check_ms);
    const std::string token = owner["access_token"];
    auto me = [&](int host) {
      return HttpCall(hosts[host]->port(), "GET", "/api/auth/me", "", token).status;
    };
    ASSERT_EQ(me(0), 200);  // both hosts have now found the session live
    ASSERT_EQ(me(1), 200);
    ASSERT_EQ(Scalar("WITH d AS (UPDATE public.tenants SET status = 'deactivated' WHERE id = "
                     "(SELECT tenant_id FROM public.users WHERE email = '" +
                     email + "') RETURNING 1) SELECT count(*) FROM d"),
              1);
    const auto deactivated = std::chrono::steady_clock::now();
    if (check_ms == "0") {
      EXPECT_EQ(me(0), 401);
      EXPECT_EQ(me(1), 401);
    } else {
      testing::WaitUntil([&] { return me(0) == 401 && me(1) == 401; }, std::chrono::seconds(10));
      EXPECT_EQ(me(0), 401);
      EXPECT_EQ(me(1), 401);
      RecordProperty("refused_on_both_hosts_after_ms",
                     static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - deactivated)
                                          .count()));
    }
    for (auto& h : hosts) h->Stop();
  }
}

TEST_F(AccountsTest, LoginIsLimitedPerEmail) {
  Start("rate_limits:\n  login_per_minute_email: 3\n");
  Register("owner@salon.test", "Salon");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Call("POST", "/api/auth/login",
                   {{"email", "owner@salon.test"}, {"password", "wrong password!!"}})
                  .status,
              401);
  }
  const auto r = Call("POST", "/api/auth/login",
                      {{"email", "Owner@Salon.test"}, {"password", "a long passphrase 42"}});
  EXPECT_EQ(r.status, 429);
  EXPECT_TRUE(r.headers.count("Retry-After"));
}

TEST_F(AccountsTest, ProfileRefusesMassAssignment) {
  Start();
  const auto reg = Register("owner@salon.test", "Salon");
  const std::string token = reg["access_token"];
  const auto before = Call("GET", "/api/auth/me", nullptr, token).body;
  for (const char* field : {"role", "tenant_id", "plan", "organization_id", "email"}) {
    const auto r =
        Call("PUT", "/api/auth/profile", {{field, "admin"}, {"timezone", "Europe/Warsaw"}}, token);
    EXPECT_EQ(r.status, 400) << field;
    EXPECT_EQ(J(r)["error"]["field"], field);
  }
  EXPECT_EQ(Call("GET", "/api/auth/me", nullptr, token).body, before);
  const auto ok = Call("PUT", "/api/auth/profile",
                       {{"business_name", "Salon Renamed"},
                        {"timezone", "Europe/Warsaw"},
                        {"language", "pl"},
                        {"notification_email", "alerts@salon.test"},
                        {"phone", "+48 22 123 45 67"}},
                       token);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(J(ok)["organization"]["name"], "Salon Renamed");
  EXPECT_EQ(J(ok)["organization"]["timezone"], "Europe/Warsaw");
  EXPECT_EQ(J(ok)["language"], "pl");
  EXPECT_EQ(J(ok)["role"], "owner");
  EXPECT_EQ(Call("PUT", "/api/auth/profile", {{"timezone", "Mars/Olympus"}}, token).status, 400);
}

TEST_F(AccountsTest, RegistrationValidation) {
  Start();
  auto field_of = [&](json body) {
    const auto r = Call("POST", "/api/auth/register", body);
    EXPECT_EQ(r.status, 400) << r.body;
    return J(r)["error"]["field"].get<std::string>();
  };
  json ok = {
      {"email", "x@salon.test"}, {"password", "a long passphrase 42"}, {"organization_name", "X"}};
  auto with = [&](const char* k, json v) {
    json b = ok;
    b[k] = v;
    return b;
  };
  EXPECT_EQ(field_of(with("email", "not-an-email")), "email");
  EXPECT_EQ(field_of(with("password", "short")), "password");
  EXPECT_EQ(field_of(with("password", "1234567890")), "password");
  EXPECT_EQ(field_of(with("password", "x@salon.test")), "password");
  EXPECT_EQ(field_of(with("organization_name", std::string(201, 'a'))), "organization_name");
  EXPECT_EQ(field_of(with("plan", "platinum")), "plan");
  EXPECT_EQ(field_of(with("referral_code", "nope")), "referral_code");
  EXPECT_EQ(field_of(with("language", "xx")), "language");
  EXPECT_EQ(field_of(with("role", "admin")), "role");
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.users"), 0);

  // A referral code links the new organisation to the referrer.
  const auto referrer = Register("ref@salon.test", "Referrer");
  auto me = Call("GET", "/api/auth/me", nullptr, referrer["access_token"]);
  auto r = Call("POST", "/api/auth/register", with("referral_code", J(me)["referral_code"]));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(J(r)["organization"]["plan"], "free");
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.referrals WHERE status = 'pending'"), 1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.subscriptions WHERE plan_slug = 'free' AND status "
                   "= 'active'"),
            1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.subscriptions WHERE plan_slug = 'starter' AND "
                   "status = 'trialing' "
                   "AND trial_end > now() + interval '13 days'"),
            1);
}

TEST_F(AccountsTest, InvitationsRespectRolesAndThePlanUserLimit) {
  Start();
  const auto owner = Register("owner@salon.test", "Salon", "starter");  // 3 users
  const std::string token = owner["access_token"];
  auto i1 = Call("POST", "/api/auth/invite", {{"email", "s1@salon.test"}}, token);
  ASSERT_EQ(i1.status, 201);
  auto i2 = Call("POST", "/api/auth/invite", {{"email", "s2@salon.test"}}, token);
  ASSERT_EQ(i2.status, 201);
  auto over = Call("POST", "/api/auth/invite", {{"email", "s3@salon.test"}}, token);
  EXPECT_EQ(over.status, 429);
  EXPECT_EQ(J(over)["error"]["code"], "limit_exceeded");
  EXPECT_EQ(J(over)["error"]["field"], "users");
  // Revoking an invitation frees its seat.
  EXPECT_EQ(Call("DELETE", "/api/auth/invitations/" + J(i2)["id"].dump(), nullptr, token).status,
            204);
  EXPECT_EQ(Call("POST", "/api/auth/invite", {{"email", "s3@salon.test"}}, token).status, 201);

  auto staff = Call("POST", "/api/auth/invite/accept",
                    {{"token", J(i1)["invite_token"]}, {"password", "staff passphrase 99"}});
  ASSERT_EQ(staff.status, 201) << staff.body;
  EXPECT_EQ(J(staff)["user"]["role"], "staff");
  // An invitation is used once.
  EXPECT_EQ(Call("POST", "/api/auth/invite/accept",
                 {{"token", J(i1)["invite_token"]}, {"password", "staff passphrase 99"}})
                .status,
            404);
  const std::string staff_token = J(staff)["access_token"];
  EXPECT_EQ(Call("POST", "/api/auth/invite", {{"email", "x@salon.test"}}, staff_token).status, 403);
  EXPECT_EQ(Call("PUT", "/api/auth/profile", {{"business_name", "Mine now"}}, staff_token).status,
            403);
  EXPECT_EQ(Call("PUT", "/api/auth/profile", {{"language", "uk"}}, staff_token).status, 200);
  auto users = Call("GET", "/api/auth/users?limit=1", nullptr, staff_token);
  ASSERT_EQ(users.status, 200);
  EXPECT_EQ(J(users)["items"].size(), 1u);
  auto page2 =
      Call("GET", "/api/auth/users?limit=1&cursor=" + J(users)["next_cursor"].get<std::string>(),
           nullptr, staff_token);
  EXPECT_EQ(J(page2)["items"][0]["role"], "staff");
  EXPECT_EQ(Call("GET", "/api/auth/users?limit=1000", nullptr, staff_token).status, 400);
  // The owner removes the staff member; their tokens stop working at once.
  EXPECT_EQ(
      Call("DELETE", "/api/auth/users/" + J(staff)["user"]["id"].dump(), nullptr, token).status,
      204);
  EXPECT_EQ(Call("GET", "/api/auth/me", nullptr, staff_token).status, 401);
  EXPECT_EQ(
      Call("POST", "/api/auth/refresh", {{"refresh_token", J(staff)["refresh_token"]}}).status,
      401);
}

TEST_F(AccountsTest, PlansAreSyncedIdempotently) {
  Start();
  app_->Stop();
  app_.reset();
  Start();  // a second start-up upserts the same plans
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.plans"), 4);
  EXPECT_EQ(Scalar("SELECT price_monthly FROM public.plans WHERE slug = 'professional'"), 5900);
  EXPECT_EQ(Scalar("SELECT (limits->>'messages_per_month')::int FROM public.plans WHERE slug = "
                   "'enterprise'"),
            -1);
  EXPECT_EQ(Scalar("SELECT count(*) FROM public.plans WHERE is_public"), 4);  // Free too
}

}  // namespace
}  // namespace sloth::accounts

namespace sloth::accounts {
namespace {

TEST_F(AccountsTest, PlatformAdminListsTenantsOthersAreForbidden) {
  Start();
  const auto owner = Register("owner@salon.test", "Salon");
  {
    db::PoolOptions o;
    o.url = db_.url();
    db::Pool pool(o);
    pool.InTransaction([](db::Transaction& tx) {
      AccountRepository().InsertUser(tx, "root@sloth.test", HashPassword("an admin passphrase"),
                                     "admin", std::nullopt, "en");
    });
  }
  auto login = Call("POST", "/api/auth/login",
                    {{"email", "root@sloth.test"}, {"password", "an admin passphrase"}});
  ASSERT_EQ(login.status, 200) << login.body;
  const std::string admin = J(login)["access_token"];
  auto list = Call("GET", "/api/admin/tenants", nullptr, admin);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(J(list)["items"][0]["name"], "Salon");
  EXPECT_EQ(Call("GET", "/api/admin/tenants", nullptr, owner["access_token"]).status, 403);
  EXPECT_EQ(Call("GET", "/api/admin/tenants").status, 401);
  // An admin has no organisation: tenant routes refuse it.
  EXPECT_EQ(Call("GET", "/api/auth/users", nullptr, admin).status, 403);
  EXPECT_TRUE(J(Call("GET", "/api/auth/me", nullptr, admin))["organization"].is_null());
}

}  // namespace
}  // namespace sloth::accounts
