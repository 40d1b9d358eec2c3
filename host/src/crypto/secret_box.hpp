#pragma once

// Credentials at rest: libsodium's secretbox (XSalsa20-Poly1305) under the host's master
// key. A sealed value is  'S' 1 | nonce (24) | ciphertext+tag  — the version byte lets the
// scheme change without guessing.

#include <array>
#include <memory>
#include <string>
#include <string_view>

#include "config/host_config.hpp"

namespace sloth::crypto {

class SecretBox {
 public:
  static constexpr std::size_t kKeyBytes = 32;
  explicit SecretBox(const std::array<unsigned char, kKeyBytes>& key) : key_(key) {}
  ~SecretBox();
  SecretBox(const SecretBox&) = delete;
  SecretBox& operator=(const SecretBox&) = delete;

  // The key from config: secrets.master_key, or in development the key file (created with
  // a random key, mode 0600, the first time).
  static std::unique_ptr<SecretBox> FromConfig(const config::SecretsConfig& c);

  std::string Seal(std::string_view plaintext) const;
  // Throws std::runtime_error when the value was not sealed with this key or was altered.
  std::string Open(std::string_view sealed) const;

 private:
  std::array<unsigned char, kKeyBytes> key_;
};

}  // namespace sloth::crypto
