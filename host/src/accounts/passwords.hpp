#pragma once

#include <optional>
#include <string>

namespace sloth::accounts {

// argon2id via libsodium at OWASP's minimum (19 MiB, t=2, p=1); the encoded string carries
// its parameters, so raising them later still verifies old hashes.
std::string HashPassword(const std::string& password);
bool VerifyPassword(const std::string& encoded_hash, const std::string& password);
// A hash to verify against when the user does not exist, so a login for an unknown email
// costs the same time as one with a wrong password.
const std::string& DummyHash();

// The password policy: length 10..128, not the email (nor its local part), not one of the
// commonly used passwords. Returns the problem, or nullopt.
std::optional<std::string> PasswordProblem(const std::string& password, const std::string& email);

}  // namespace sloth::accounts
