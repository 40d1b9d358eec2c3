#include "support/pgbouncer.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <stdexcept>

namespace sloth::testing {

PgBouncer::PgBouncer(const TestDatabase& db, int server_connections) {
  // The test database's conninfo: host='/tmp/...' port='5432' ...
  const std::regex parts("host='([^']+)' port='([0-9]+)'");
  std::smatch m;
  if (!std::regex_search(db.url(), m, parts))
    throw std::runtime_error("unexpected url " + db.url());
  char tmpl[] = "/tmp/sloth-pgbouncer.XXXXXX";
  dir_ = mkdtemp(tmpl);
  port_ = FreePort();
  std::ofstream(dir_ + "/users.txt") << "\"postgres\" \"\"\n";
  std::ofstream(dir_ + "/pgbouncer.ini")
      << "[databases]\n"
      << db.name() << " = host=" << m[1] << " port=" << m[2] << " dbname=" << db.name()
      << " user=postgres pool_size=" << server_connections << "\n"
      << "[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = " << port_
      << "\nunix_socket_dir =\nauth_type = trust\nauth_file = " << dir_
      << "/users.txt\npool_mode = transaction\nmax_client_conn = 200\n"
      // statement_timeout goes on the role behind PgBouncer (README, deployment)
      << "ignore_startup_parameters = options\n"
      << "logfile = " << dir_ << "/pgbouncer.log\npidfile = " << dir_ << "/pgbouncer.pid\n";
  // PgBouncer refuses to run as root; the cluster's owner runs it, as it runs PostgreSQL.
  const std::string as = geteuid() == 0 ? "runuser -u postgres -- " : "";
  if (geteuid() == 0) Shell("chown -R postgres " + dir_);
  if (Shell(as + "pgbouncer -d " + dir_ + "/pgbouncer.ini") != 0)
    throw std::runtime_error("pgbouncer did not start (apt-get install pgbouncer)");
  url_ = "host=127.0.0.1 port=" + std::to_string(port_) + " dbname=" + db.name() + " user=postgres";
}

PgBouncer::~PgBouncer() {
  Shell("kill $(cat " + dir_ + "/pgbouncer.pid) 2>/dev/null; rm -rf " + dir_);
}

}  // namespace sloth::testing
