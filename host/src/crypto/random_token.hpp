#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sloth::crypto {

// 32 random bytes as URL-safe base64 without padding (43 characters): refresh tokens,
// invitation tokens, idempotency keys.
std::string RandomToken();
// URL-safe base64 without padding of any bytes (PKCE challenges, signed states).
std::string Base64Url(std::string_view bytes);
// Its inverse; nullopt for text that is not URL-safe base64.
std::optional<std::string> FromBase64Url(std::string_view text);
// SHA-256 of `bytes` (32 raw bytes).
std::string Sha256(std::string_view bytes);

}  // namespace sloth::crypto
