#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "http/client_address.hpp"
#include "http/read_deadlines.hpp"
#include "http/router.hpp"
#include "metrics/metrics.hpp"

#include <Poco/SharedPtr.h>

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPRequestHandlerFactory;
class ServerSocket;
class TCPServer;
}  // namespace Net
}  // namespace Poco

namespace sloth::http {

struct ServerOptions {
  std::string host = "0.0.0.0";
  int port = 8080;  // 0 picks a free port; see Server::port()
  std::int64_t max_body_bytes = 1 << 20;
  int max_threads = 512;
  int max_queued = 1024;
  std::chrono::milliseconds keep_alive_timeout{5000};
  // A request head must be complete this long after the connection opened or its previous
  // answer was sent (on top of keep_alive_timeout); a body within body_timeout of its head.
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{60000};
  std::vector<Cidr> trusted_proxies;  // peers whose X-Forwarded-For is believed
};

// Serves a Router over Poco's HTTPServer: request ids, body limits, the error envelope,
// metrics and one access-log line per request all happen here, so handlers only handle.
class Server {
 public:
  Server(ServerOptions options, const Router& router, metrics::Registry& metrics);
  ~Server();

  void Start();
  int port() const { return port_; }
  // Stops accepting, lets in-flight requests finish for up to `grace`, then returns.
  void Stop(std::chrono::milliseconds grace);

  // The whole request pipeline after the body is read: route, call, map errors, measure,
  // log. Exposed for tests and benchmarks that need no socket.
  Response Dispatch(Request& req) const;

  // Counts, times and logs one finished request (also those refused before routing).
  void Record(const Request& req, const Response& resp, const std::string& error_code,
              std::chrono::steady_clock::time_point start) const;

  const ServerOptions& options() const { return options_; }
  // Requests between their parsed head and their written answer (a gauge in /metrics).
  std::atomic<std::int64_t>& in_flight() const { return *in_flight_; }

 private:
  ServerOptions options_;
  const Router& router_;
  metrics::Registry& metrics_;
  std::unique_ptr<Poco::ThreadPool> threads_;
  std::unique_ptr<Poco::Net::ServerSocket> socket_;
  std::unique_ptr<ReadDeadlines> deadlines_;
  Poco::SharedPtr<Poco::Net::HTTPRequestHandlerFactory> handlers_;
  std::unique_ptr<Poco::Net::TCPServer> server_;
  int port_ = 0;
  std::shared_ptr<std::atomic<std::int64_t>> in_flight_ =
      std::make_shared<std::atomic<std::int64_t>>(0);
};

// The methods served; any other is answered 501 before its body is read, and counted in
// metrics as "other" so a client cannot mint label values.
bool KnownMethod(const std::string& method);

// A fresh random request id (32 hex digits).
std::string NewRequestId();

}  // namespace sloth::http
