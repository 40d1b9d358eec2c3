#pragma once

// Access tokens are short-lived JWTs (HS256 pinned; exp, iat, iss, aud and typ checked)
// naming their session (sid) and themselves (jti);
// refresh tokens are 256-bit random strings, stored server-side only as SHA-256 hashes.

#include <chrono>
#include <string>

#include "accounts/principal.hpp"

namespace sloth::accounts {

struct TokenOptions {
  std::string secret;  // HMAC key, at least 32 bytes
  std::string issuer = "sloth";
  std::string audience = "sloth-api";
  std::chrono::seconds access_ttl{900};
};

class TokenService {
 public:
  explicit TokenService(TokenOptions options);

  std::string IssueAccess(const Principal& p) const;
  // Throws ApiError 401 (code "unauthenticated") naming what is wrong.
  Principal VerifyAccess(const std::string& jwt) const;
  std::chrono::seconds access_ttl() const { return options_.access_ttl; }

  // A fresh opaque token (base64url of 32 random bytes).
  static std::string NewOpaqueToken();
  // SHA-256 of a token, as stored.
  static std::string Hash(const std::string& token);

 private:
  TokenOptions options_;
};

}  // namespace sloth::accounts
