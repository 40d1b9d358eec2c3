#pragma once

// Credentials at rest: libsodium's secretbox (XSalsa20-Poly1305) under the host's master
// key. A sealed value is  'S' 1 | nonce (24) | ciphertext+tag  — the version byte lets the
// scheme change without guessing.

#include <array>
#include <memory>
#include <string>
#include <string_view>

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
  // `master_key_hex`: 64 hex characters; empty in development, where the key is read from
  // (or first written to) `dev_key_file`.
  static std::unique_ptr<SecretBox> FromKey(const std::string& master_key_hex,
                                            const std::string& dev_key_file);

  std::string Seal(std::string_view plaintext) const;
  // Throws std::runtime_error when the value was not sealed with this key or was altered.
  std::string Open(std::string_view sealed) const;

  // HMAC-SHA-256 of `message` under a subkey derived from the master key (so a tag never
  // reveals anything about the sealing key): for values that travel through a browser and
  // must come back unaltered, such as an OAuth state.
  std::string Mac(std::string_view message) const;
  // Constant-time comparison with Mac(message).
  bool VerifyMac(std::string_view message, std::string_view mac) const;

 private:
  std::array<unsigned char, kKeyBytes> key_;
};

}  // namespace sloth::crypto
