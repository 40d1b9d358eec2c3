#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include <atomic>
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
