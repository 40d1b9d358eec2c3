#include "accounts/tokens.hpp"

#include <sodium.h>

#include <Poco/Crypto/Crypto.h>
#include <Poco/JWT/JWTException.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/Timestamp.h>

#include "crypto/random_token.hpp"
#include "errors/error.hpp"

namespace sloth::accounts {
namespace {

constexpr const char* kType = "at+jwt";  // RFC 9068: an access token, not an ID token

// The mapping to HTTP answers this reason with WWW-Authenticate: Bearer error="invalid_token".
errors::Error Unauthenticated(const std::string& why) {
  return {errors::Code::kUnauthenticated, why, "", {{"reason", "invalid_token"}}};
}

}  // namespace

TokenService::TokenService(TokenOptions options) : options_(std::move(options)) {
  // Poco's per-object OpenSSL initializer is reference counted and tears OpenSSL's locks
  // down when the count drops to zero, racing with other threads signing at that moment.
  // One reference held for the life of the process keeps it from ever dropping to zero.
  static const bool crypto_ready = (Poco::Crypto::initializeCrypto(), true);
  (void)crypto_ready;
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  if (options_.secret.size() < 32) {
    throw std::invalid_argument("the JWT signing key must be at least 32 bytes");
  }
}

std::string TokenService::IssueAccess(const Principal& p) const {
  Poco::JWT::Token t;
  t.setType(kType);
  t.setIssuer(options_.issuer);
  t.setAudience(options_.audience);
  t.setSubject(std::to_string(p.user_id));
  // Whole seconds: NumericDate may carry fractions, but many verifiers reject them.
  const Poco::Timestamp now = Poco::Timestamp::fromEpochTime(Poco::Timestamp().epochTime());
  t.setIssuedAt(now);
  t.setExpiration(now + Poco::Timespan(options_.access_ttl.count(), 0));
  t.payload().set("role", p.role);
  if (p.tenant_id) t.payload().set("tid", std::to_string(*p.tenant_id));
  // sid: the session, so a logout rejects this token before it expires; jti: this token.
  t.payload().set("sid", p.session);
  t.setId(NewOpaqueToken().substr(0, 22));
  Poco::JWT::Signer signer(options_.secret);
  return signer.sign(t, Poco::JWT::Signer::ALGO_HS256);
}

Principal TokenService::VerifyAccess(const std::string& jwt) const {
  Poco::JWT::Signer signer(options_.secret);  // accepts HS256 only: "none" and others fail
  Poco::JWT::Token t;
  try {
    if (!signer.tryVerify(jwt, t)) throw Unauthenticated("the token signature is invalid");
  } catch (const Poco::Exception&) {
    throw Unauthenticated("the token is malformed");
  }
  if (t.getAlgorithm() != Poco::JWT::Signer::ALGO_HS256)
    throw Unauthenticated("unexpected algorithm");
  if (t.getType() != kType) throw Unauthenticated("not an access token");
  if (t.getIssuer() != options_.issuer) throw Unauthenticated("wrong issuer");
  const auto aud = t.getAudience();
  if (aud.size() != 1 || aud[0] != options_.audience) throw Unauthenticated("wrong audience");
  const Poco::Timestamp now;
  if (!t.payload().has("exp") || t.getExpiration() <= now)
    throw Unauthenticated("the token has expired");
  if (!t.payload().has("iat") || t.getIssuedAt() > now + Poco::Timespan(60, 0)) {
    throw Unauthenticated("the token is not yet valid");
  }
  Principal p;
  try {
    p.user_id = std::stoll(t.getSubject());
    p.role = t.payload().getValue<std::string>("role");
    if (t.payload().has("tid")) p.tenant_id = std::stoll(t.payload().getValue<std::string>("tid"));
    p.session = t.payload().getValue<std::string>("sid");
  } catch (const std::exception&) {
    throw Unauthenticated("the token's claims are malformed");
  }
  if (p.role != "owner" && p.role != "staff" && p.role != "admin")
    throw Unauthenticated("unknown role");
  if ((p.role == "admin") == p.tenant_id.has_value()) throw Unauthenticated("inconsistent claims");
  return p;
}

std::string TokenService::NewOpaqueToken() {
  return crypto::RandomToken();
}

std::string TokenService::Hash(const std::string& token) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  char hex[crypto_hash_sha256_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

}  // namespace sloth::accounts
