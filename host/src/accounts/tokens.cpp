#include "accounts/tokens.hpp"

#include <sodium.h>

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

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

namespace {

const std::string* StringClaim(const nlohmann::json& o, const char* key) {
  const auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

std::optional<double> NumberClaim(const nlohmann::json& o, const char* key) {
  const auto it = o.find(key);
  if (it == o.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

}  // namespace

// Verified here rather than with Poco::JWT, which parses both JSON segments with Poco::JSON
// on every request (a quarter of the host's CPU time on an authenticated read): the MAC is
// libsodium's HMAC-SHA256 compared in constant time, the JSON is nlohmann's. Tokens are still
// issued by Poco::JWT, and the tests check each accepts what the other writes.
Principal TokenService::VerifyAccess(const std::string& jwt) const {
  if (jwt.size() > 4096) throw Unauthenticated("the token is malformed");
  const auto dot1 = jwt.find('.');
  const auto dot2 = dot1 == std::string::npos ? dot1 : jwt.find('.', dot1 + 1);
  if (dot2 == std::string::npos || jwt.find('.', dot2 + 1) != std::string::npos)
    throw Unauthenticated("the token is malformed");
  const std::string_view token(jwt);
  const auto signature = crypto::FromBase64Url(token.substr(dot2 + 1));
  if (!signature || signature->size() != crypto_auth_hmacsha256_BYTES)
    throw Unauthenticated("the token signature is invalid");
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(options_.secret.data()),
                              options_.secret.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(jwt.data()), dot2);
  crypto_auth_hmacsha256_final(&st, mac);
  if (sodium_memcmp(mac, signature->data(), sizeof mac) != 0)
    throw Unauthenticated("the token signature is invalid");

  // Signed by us; still read defensively (a key shared with another service could sign
  // anything).
  const auto header_text = crypto::FromBase64Url(token.substr(0, dot1));
  const auto payload_text = crypto::FromBase64Url(token.substr(dot1 + 1, dot2 - dot1 - 1));
  if (!header_text || !payload_text) throw Unauthenticated("the token is malformed");
  const auto header = nlohmann::json::parse(*header_text, nullptr, false);
  const auto claims = nlohmann::json::parse(*payload_text, nullptr, false);
  if (!header.is_object() || !claims.is_object()) throw Unauthenticated("the token is malformed");
  const auto* alg = StringClaim(header, "alg");
  if (!alg || *alg != Poco::JWT::Signer::ALGO_HS256) throw Unauthenticated("unexpected algorithm");
  const auto* typ = StringClaim(header, "typ");
  if (!typ || *typ != kType) throw Unauthenticated("not an access token");
  const auto* iss = StringClaim(claims, "iss");
  if (!iss || *iss != options_.issuer) throw Unauthenticated("wrong issuer");
  const auto aud = claims.find("aud");
  const bool aud_ok =
      aud != claims.end() && ((aud->is_string() && *aud == options_.audience) ||
                              (aud->is_array() && aud->size() == 1 && (*aud)[0].is_string() &&
                               (*aud)[0] == options_.audience));
  if (!aud_ok) throw Unauthenticated("wrong audience");
  const double now = static_cast<double>(Poco::Timestamp().epochMicroseconds()) / 1e6;
  const auto exp = NumberClaim(claims, "exp");
  if (!exp || *exp <= now) throw Unauthenticated("the token has expired");
  const auto iat = NumberClaim(claims, "iat");
  if (!iat || *iat > now + 60) throw Unauthenticated("the token is not yet valid");
  Principal p;
  const auto* sub = StringClaim(claims, "sub");
  const auto* role = StringClaim(claims, "role");
  const auto* sid = StringClaim(claims, "sid");
  const auto* tid = StringClaim(claims, "tid");
  if (!sub || !role || !sid || (claims.contains("tid") && !tid))
    throw Unauthenticated("the token's claims are malformed");
  try {
    std::size_t used = 0;
    p.user_id = std::stoll(*sub, &used);
    if (used != sub->size()) throw std::invalid_argument("sub");
    if (tid) {
      p.tenant_id = std::stoll(*tid, &used);
      if (used != tid->size()) throw std::invalid_argument("tid");
    }
  } catch (const std::exception&) {
    throw Unauthenticated("the token's claims are malformed");
  }
  p.role = *role;
  p.session = *sid;
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
