#pragma once

// Stripe-Signature verification: "t=<unix>,v1=<hex>[,v1=<hex>][,v0=...]". The signed payload
// is "<t>.<raw body>", HMAC-SHA256 under the endpoint secret (whsec_..., used as-is).

#include <cstdint>
#include <string>
#include <string_view>

namespace stripe {

enum class SignatureCheck { kOk, kMalformed, kNoMatch, kTooOld };

SignatureCheck VerifySignature(std::string_view header, std::string_view body,
                               std::string_view secret, std::int64_t now_s,
                               std::int64_t tolerance_s);
const char* Describe(SignatureCheck c);

// hex(HMAC-SHA256(secret, "<t>.<body>")): what Stripe puts in v1 (tests sign with it too).
std::string Sign(std::int64_t t, std::string_view body, std::string_view secret);

}  // namespace stripe
