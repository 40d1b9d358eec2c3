#include "accounts/passwords.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

namespace sloth::accounts {
namespace {

constexpr unsigned long long kOpsLimit = 2;
constexpr std::size_t kMemLimit = 19u << 20;

void InitSodium() {
  static const int ok = sodium_init();
  if (ok < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// The most common passwords of at least 10 characters (from public breach corpora).
constexpr std::array<const char*, 40> kCommon = {
    "1234567890",   "123456789a",   "qwertyuiop",    "password12",  "password123", "1q2w3e4r5t",
    "0987654321",   "1111111111",   "0000000000",    "qwerty1234",  "iloveyou12",  "abcdefghij",
    "passw0rd12",   "1234567891",   "9876543210",    "asdfghjkl1",  "qwerty12345", "password1234",
    "1qaz2wsx3edc", "zxcvbnm123",   "administrator", "welcome123",  "letmein123",  "sunshine12",
    "football12",   "princess12",   "monkey1234",    "dragon1234",  "baseball12",  "superman12",
    "1234qwerty",   "qwerty123456", "123456789012",  "12345678910", "password!1",  "Password1!",
    "changeme123",  "trustno1234",  "abc1234567",    "aaaaaaaaaa"};

}  // namespace

std::string HashPassword(const std::string& password) {
  InitSodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), kOpsLimit, kMemLimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("out of memory hashing a password");
  }
  return out;
}

bool VerifyPassword(const std::string& encoded_hash, const std::string& password) {
  InitSodium();
  return crypto_pwhash_str_verify(encoded_hash.c_str(), password.data(), password.size()) == 0;
}

const std::string& DummyHash() {
  static const std::string hash = HashPassword("not a real password, only for timing");
  return hash;
}

std::optional<std::string> PasswordProblem(const std::string& password, const std::string& email) {
  if (password.size() < 10) return "must be at least 10 characters";
  if (password.size() > 128) return "must be at most 128 characters";
  const std::string p = Lower(password);
  const std::string e = Lower(email);
  const std::string local = e.substr(0, e.find('@'));
  if (p == e || (!local.empty() && p == local)) return "must not be your email";
  for (const char* c : kCommon) {
    if (p == Lower(c)) return "is too common; choose another";
  }
  if (std::all_of(p.begin(), p.end(), [&](char c) { return c == p[0]; })) {
    return "must not repeat one character";
  }
  return std::nullopt;
}

}  // namespace sloth::accounts
