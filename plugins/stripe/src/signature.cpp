#include "signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <optional>
#include <vector>

namespace stripe {

std::string Sign(std::int64_t t, std::string_view body, std::string_view secret) {
  std::string payload = std::to_string(t);
  payload += '.';
  payload.append(body);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), mac, &len);
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 15];
  }
  return out;
}

SignatureCheck VerifySignature(std::string_view header, std::string_view body,
                               std::string_view secret, std::int64_t now_s,
                               std::int64_t tolerance_s) {
  std::optional<std::int64_t> t;
  std::vector<std::string_view> v1;
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos) continue;
    const auto key = item.substr(0, eq);
    const auto value = item.substr(eq + 1);
    if (key == "t") {
      std::int64_t parsed = 0;
      const auto r = std::from_chars(value.data(), value.data() + value.size(), parsed);
      if (r.ec != std::errc() || r.ptr != value.data() + value.size())
        return SignatureCheck::kMalformed;
      t = parsed;
    } else if (key == "v1") {
      v1.push_back(value);
    }
  }
  if (!t || v1.empty()) return SignatureCheck::kMalformed;
  const std::string expected = Sign(*t, body, secret);
  bool match = false;
  // Every v1 is compared (no early exit), each in constant time.
  for (const auto& candidate : v1) {
    if (candidate.size() == expected.size() &&
        CRYPTO_memcmp(candidate.data(), expected.data(), expected.size()) == 0) {
      match = true;
    }
  }
  if (!match) return SignatureCheck::kNoMatch;
  if (now_s - *t > tolerance_s) return SignatureCheck::kTooOld;
  return SignatureCheck::kOk;
}

const char* Describe(SignatureCheck c) {
  switch (c) {
    case SignatureCheck::kOk:
      return "ok";
    case SignatureCheck::kMalformed:
      return "Stripe-Signature is missing t or v1";
    case SignatureCheck::kNoMatch:
      return "no v1 signature matches the payload";
    case SignatureCheck::kTooOld:
      return "the signature timestamp is outside the tolerance";
  }
  return "unknown";
}

}  // namespace stripe
