#pragma once

#include <string>

namespace sloth::crypto {

// 32 random bytes as URL-safe base64 without padding (43 characters): refresh tokens,
// invitation tokens, idempotency keys.
std::string RandomToken();

}  // namespace sloth::crypto
