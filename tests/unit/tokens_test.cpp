#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include <atomic>
#include <functional>
#include <thread>

#include <gtest/gtest.h>

#include "accounts/passwords.hpp"
#include "accounts/tokens.hpp"
#include "errors/error.hpp"

namespace sloth::accounts {
namespace {

TokenOptions Options() {
  return {"unit-secret-0123456789-abcdefghijklmnop", "sloth", "sloth-api",
          std::chrono::seconds(900)};
}

TEST(TokensTest, RoundTripAndRefusals) {
  TokenService tokens(Options());
  const Principal p{7, "staff", 3, "session-a"};
  const auto back = tokens.VerifyAccess(tokens.IssueAccess(p));
  EXPECT_EQ(back.user_id, 7);
  EXPECT_EQ(back.role, "staff");
  EXPECT_EQ(back.tenant_id, 3);
  EXPECT_EQ(back.session, "session-a");
  // Each token has its own id (jti).
  Poco::JWT::Token a, b;
  ASSERT_TRUE(Poco::JWT::Signer(Options().secret).tryVerify(tokens.IssueAccess(p), a));
  ASSERT_TRUE(Poco::JWT::Signer(Options().secret).tryVerify(tokens.IssueAccess(p), b));
  EXPECT_FALSE(a.getId().empty());
  EXPECT_NE(a.getId(), b.getId());
  EXPECT_THROW(tokens.VerifyAccess("a.b.c"), errors::Error);
  TokenOptions other = Options();
  other.audience = "elsewhere";
  EXPECT_THROW(TokenService(other).VerifyAccess(tokens.IssueAccess(p)), errors::Error);
  TokenOptions weak = Options();
  weak.secret = "short";
  EXPECT_THROW(TokenService{weak}, std::invalid_argument);
}

// Tokens written by another implementation (Poco::JWT), each wrong in one way, are refused
// for that reason; a correct one is accepted.
TEST(TokensTest, EachWrongClaimIsRefusedForItsReason) {
  TokenService tokens(Options());
  const std::string secret = Options().secret;
  auto make = [&](const std::function<void(Poco::JWT::Token&)>& change,
                  const std::string& algorithm = Poco::JWT::Signer::ALGO_HS256,
                  const std::string& key = "") {
    Poco::JWT::Token t;
    t.setType("at+jwt");
    t.setIssuer("sloth");
    t.setAudience("sloth-api");
    t.setSubject("7");
    const Poco::Timestamp now;
    t.setIssuedAt(now);
    t.setExpiration(now + Poco::Timespan(600, 0));
    t.payload().set("role", std::string("staff"));
    t.payload().set("tid", std::string("3"));
    t.payload().set("sid", std::string("session-a"));
    change(t);
    Poco::JWT::Signer signer(key.empty() ? secret : key);
    signer.addAlgorithm(algorithm);
    return signer.sign(t, algorithm);
  };
  auto reason = [&](const std::string& jwt) -> std::string {
    try {
      tokens.VerifyAccess(jwt);
      return "accepted";
    } catch (const errors::Error& e) {
      EXPECT_EQ(e.code(), errors::Code::kUnauthenticated);
      return e.what();
    }
  };
  EXPECT_EQ(reason(make([](auto&) {})), "accepted");
  EXPECT_EQ(tokens.VerifyAccess(make([](auto&) {})).tenant_id, 3);
  EXPECT_EQ(reason(make([](auto&) {}, Poco::JWT::Signer::ALGO_HS256, std::string(40, 'k'))),
            "the token signature is invalid");
  EXPECT_EQ(reason(make([](auto&) {}, Poco::JWT::Signer::ALGO_HS512)),
            "the token signature is invalid");
  EXPECT_EQ(reason(make([](auto& t) { t.setType("JWT"); })), "not an access token");
  EXPECT_EQ(reason(make([](auto& t) { t.setIssuer("someone"); })), "wrong issuer");
  EXPECT_EQ(reason(make([](auto& t) { t.setAudience("elsewhere"); })), "wrong audience");
  EXPECT_EQ(
      reason(make([](auto& t) { t.setExpiration(Poco::Timestamp() - Poco::Timespan(1, 0)); })),
      "the token has expired");
  EXPECT_EQ(
      reason(make([](auto& t) { t.setIssuedAt(Poco::Timestamp() + Poco::Timespan(3600, 0)); })),
      "the token is not yet valid");
  EXPECT_EQ(reason(make([](auto& t) { t.payload().set("role", std::string("root")); })),
            "unknown role");
  EXPECT_EQ(reason(make([](auto& t) { t.payload().set("role", std::string("admin")); })),
            "inconsistent claims");
  EXPECT_EQ(reason(make([](auto& t) { t.payload().set("tid", 3); })),
            "the token's claims are malformed");
  EXPECT_EQ(reason(make([](auto& t) { t.setSubject("7x"); })), "the token's claims are malformed");
  EXPECT_EQ(reason(make([](auto& t) { t.payload().remove("sid"); })),
            "the token's claims are malformed");
  // Unsigned ("alg": "none") and cut or padded forms.
  const std::string good = make([](auto&) {});
  const auto dot = good.rfind('.');
  EXPECT_EQ(reason(good.substr(0, dot + 1)), "the token signature is invalid");
  EXPECT_EQ(reason(good + "."), "the token is malformed");
  EXPECT_EQ(reason(good + "="), "the token signature is invalid");
  EXPECT_EQ(reason("eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0." +
                   good.substr(good.find('.') + 1, dot - good.find('.') - 1) + "."),
            "the token signature is invalid");
  // One flipped bit in the payload.
  std::string flipped = good;
  flipped[good.find('.') + 5] ^= 1;
  EXPECT_EQ(reason(flipped), "the token signature is invalid");
}

// Many threads signing and verifying at once: Poco's OpenSSL initialisation once tore down
// its locks under this load (a crash under wrk); the service must hold up.
TEST(TokensTest, ConcurrentSigningAndVerifying) {
  TokenService tokens(Options());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        const Principal p{t * 1000 + i, "owner", t + 1, "s"};
        if (tokens.VerifyAccess(tokens.IssueAccess(p)).user_id == p.user_id) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 4000);
}

TEST(TokensTest, OpaqueTokensAndHashes) {
  const auto a = TokenService::NewOpaqueToken();
  EXPECT_EQ(a.size(), 43u);
  EXPECT_NE(a, TokenService::NewOpaqueToken());
  EXPECT_EQ(TokenService::Hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(PasswordsTest, PolicyAndArgon2id) {
  EXPECT_EQ(PasswordProblem("short", "a@b.test"), "must be at least 10 characters");
  EXPECT_EQ(PasswordProblem("qwertyuiop", "a@b.test"), "is too common; choose another");
  EXPECT_EQ(PasswordProblem("anna.kovalenko", "Anna.Kovalenko@salon.test"),
            "must not be your email");
  EXPECT_EQ(PasswordProblem("zzzzzzzzzzzz", "a@b.test"), "must not repeat one character");
  EXPECT_EQ(PasswordProblem("a long passphrase 42", "a@b.test"), std::nullopt);
  const auto hash = HashPassword("a long passphrase 42");
  EXPECT_EQ(hash.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << hash;
  EXPECT_TRUE(VerifyPassword(hash, "a long passphrase 42"));
  EXPECT_FALSE(VerifyPassword(hash, "a long passphrase 43"));
}

}  // namespace
}  // namespace sloth::accounts
