#include "crypto/secret_box.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

#include <spdlog/spdlog.h>

namespace sloth::crypto {
namespace {

constexpr char kVersion = 1;

std::array<unsigned char, SecretBox::kKeyBytes> FromHex(const std::string& hex) {
  std::array<unsigned char, SecretBox::kKeyBytes> key{};
  std::size_t len = 0;
  if (sodium_hex2bin(key.data(), key.size(), hex.data(), hex.size(), nullptr, &len, nullptr) != 0 ||
      len != key.size()) {
    throw std::runtime_error("the master key must be 64 hex characters");
  }
  return key;
}

// Reads the development key file, or creates it with a fresh key. O_EXCL makes concurrent
// first starts agree on one key.
std::string DevKey(const std::string& path) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd >= 0) {
    std::array<unsigned char, SecretBox::kKeyBytes> key{};
    randombytes_buf(key.data(), key.size());
    char hex[SecretBox::kKeyBytes * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, key.data(), key.size());
    const std::string line = std::string(hex) + "\n";
    const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ::close(fd);
    if (!ok) throw std::runtime_error("cannot write " + path);
    spdlog::warn(
        "secrets: created a development master key in {}; set SLOTH_MASTER_KEY in production",
        path);
  }
  for (int i = 0; i < 50; ++i) {  // another process may be writing it right now
    std::ifstream in(path);
    std::string hex;
    if (in >> hex && hex.size() == SecretBox::kKeyBytes * 2) return hex;
    usleep(20000);
  }
  throw std::runtime_error("cannot read the master key file " + path);
}

}  // namespace

SecretBox::~SecretBox() {
  sodium_memzero(key_.data(), key_.size());
}

std::unique_ptr<SecretBox> SecretBox::FromKey(const std::string& master_key_hex,
                                              const std::string& dev_key_file) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  const std::string hex = master_key_hex.empty() ? DevKey(dev_key_file) : master_key_hex;
  return std::make_unique<SecretBox>(FromHex(hex));
}

std::string SecretBox::Seal(std::string_view plaintext) const {
  std::string out(1 + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(),
                  '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  p[0] = kVersion;
  randombytes_buf(p + 1, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(p + 1 + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        p + 1, key_.data());
  return out;
}

std::string SecretBox::Open(std::string_view sealed) const {
  constexpr std::size_t overhead = 1 + crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
  if (sealed.size() < overhead || sealed[0] != kVersion)
    throw std::runtime_error("not a sealed value of this version");
  const auto* p = reinterpret_cast<const unsigned char*>(sealed.data());
  std::string out(sealed.size() - overhead, '\0');
  if (crypto_secretbox_open_easy(
          reinterpret_cast<unsigned char*>(out.data()), p + 1 + crypto_secretbox_NONCEBYTES,
          sealed.size() - 1 - crypto_secretbox_NONCEBYTES, p + 1, key_.data()) != 0) {
    throw std::runtime_error(
        "the sealed value does not open with this key (altered, or another key)");
  }
  return out;
}

namespace {

std::array<unsigned char, crypto_auth_hmacsha256_KEYBYTES> MacKey(
    const std::array<unsigned char, SecretBox::kKeyBytes>& master) {
  static_assert(crypto_auth_hmacsha256_KEYBYTES == crypto_kdf_KEYBYTES);
  std::array<unsigned char, crypto_auth_hmacsha256_KEYBYTES> sub{};
  crypto_kdf_derive_from_key(sub.data(), sub.size(), 1, "slothmac", master.data());
  return sub;
}

}  // namespace

std::string SecretBox::Mac(std::string_view message) const {
  auto sub = MacKey(key_);
  std::string out(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256(reinterpret_cast<unsigned char*>(out.data()),
                         reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                         sub.data());
  sodium_memzero(sub.data(), sub.size());
  return out;
}

bool SecretBox::VerifyMac(std::string_view message, std::string_view mac) const {
  if (mac.size() != crypto_auth_hmacsha256_BYTES) return false;
  const std::string expected = Mac(message);
  return sodium_memcmp(expected.data(), mac.data(), mac.size()) == 0;
}

}  // namespace sloth::crypto
