#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sloth::accounts {

// Who is calling, as established from a verified access token.
struct Principal {
  std::int64_t user_id = 0;
  std::string role;                       // owner | staff | admin
  std::optional<std::int64_t> tenant_id;  // empty for platform admins
  std::string session;                    // the login (refresh-token family) it belongs to
  bool IsAdmin() const { return role == "admin"; }
  bool IsOwner() const { return role == "owner"; }
};

}  // namespace sloth::accounts
