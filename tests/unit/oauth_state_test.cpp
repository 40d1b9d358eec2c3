#include "integrations/oauth_state.hpp"

#include <gtest/gtest.h>
#include <sodium.h>

#include "crypto/random_token.hpp"

namespace sloth::integrations {
namespace {

using std::chrono::seconds;

std::unique_ptr<crypto::SecretBox> Box(char fill) {
  return crypto::SecretBox::FromKey(std::string(64, fill), "");
}

const std::chrono::sys_seconds kNow{seconds(1'800'000'000)};

TEST(OAuthState, ReadsBackOnlyWhatItSignedAndOnlyUntilItExpires) {
  const auto box = Box('a');
  const OAuthState s{42, "nonce-0123456789abcdef", kNow + seconds(600)};
  const std::string text = SignState(*box, s);
  const auto read = ReadState(*box, text, kNow);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->tenant, 42);
  EXPECT_EQ(read->nonce, s.nonce);
  EXPECT_FALSE(ReadState(*box, text, kNow + seconds(600)));  // expired
  EXPECT_FALSE(ReadState(*Box('b'), text, kNow));            // another host's key

  // Any altered character of the payload or the tag is refused, another tenant too.
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '.') continue;
    std::string forged = text;
    forged[i] = forged[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(ReadState(*box, forged, kNow)) << i;
  }
  const std::string other = SignState(*box, {43, s.nonce, s.expires});
  const std::string spliced = other.substr(0, other.find('.')) + text.substr(text.find('.'));
  EXPECT_FALSE(ReadState(*box, spliced, kNow));
  for (const char* junk : {"", ".", "abc", "a.b", "..", "%%%.%%%"})
    EXPECT_FALSE(ReadState(*box, junk, kNow)) << junk;
}

TEST(OAuthState, PkceChallengeIsTheS256OfTheVerifier) {
  const Pkce p = NewPkce();
  EXPECT_EQ(p.verifier.size(), 43u);  // RFC 7636: 43..128 unreserved characters
  EXPECT_EQ(p.verifier.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  // RFC 7636 appendix B's example.
  EXPECT_EQ(crypto::Base64Url(crypto::Sha256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  EXPECT_EQ(p.challenge, crypto::Base64Url(crypto::Sha256(p.verifier)));
  EXPECT_NE(NewPkce().verifier, p.verifier);
}

}  // namespace
}  // namespace sloth::integrations
