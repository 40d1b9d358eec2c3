#pragma once

// Debian's pgbouncer in transaction mode in front of a test database, as a deployment with
// several hosts runs it (README, "Deployment"): a server connection goes to whichever
// client transaction comes next.

#include <string>

#include "support/test_db.hpp"

namespace sloth::testing {

class PgBouncer {
 public:
  // `server_connections`: PgBouncer's pool for the database, smaller than the clients'.
  PgBouncer(const TestDatabase& db, int server_connections);
  ~PgBouncer();
  PgBouncer(const PgBouncer&) = delete;
  PgBouncer& operator=(const PgBouncer&) = delete;
  // A libpq conninfo that reaches the database through PgBouncer.
  const std::string& url() const { return url_; }

 private:
  std::string dir_;
  int port_ = 0;
  std::string url_;
};

}  // namespace sloth::testing
