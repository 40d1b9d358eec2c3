#pragma once

// The OAuth 2 consent's two secrets. The `state` travels through the salon's browser and
// Google and must come back unaltered: it names the organisation and a single-use nonce,
// expires, and is signed (HMAC under a key derived from the master key). The PKCE
// verifier never leaves the host: only its S256 challenge goes out, so a code intercepted
// on its way back is useless to anyone else.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/secret_box.hpp"

namespace sloth::integrations {

struct OAuthState {
  std::int64_t tenant = 0;
  std::string nonce;
  std::chrono::sys_seconds expires;
};

std::string SignState(const crypto::SecretBox& box, const OAuthState& state);
// nullopt when altered, malformed or expired at `now`.
std::optional<OAuthState> ReadState(const crypto::SecretBox& box, std::string_view text,
                                    std::chrono::sys_seconds now);

struct Pkce {
  std::string verifier;   // 43 URL-safe characters (RFC 7636's minimum entropy: 256 bits)
  std::string challenge;  // base64url(sha256(verifier))
};
Pkce NewPkce();

}  // namespace sloth::integrations
