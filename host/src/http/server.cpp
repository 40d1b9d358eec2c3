#include "http/server.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerConnectionFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>
#include <spdlog/spdlog.h>

#include "db/pool.hpp"
#include "http/api_error.hpp"
#include "http/body_stream.hpp"
#include "log/log.hpp"

namespace sloth::http {
namespace {

constexpr std::streamsize kLingerBytes = 4 << 20;

bool ValidRequestId(const std::string& id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

Response ErrorResponse(int status, const std::string& code, const std::string& message,
                       const std::string& field = "") {
  return Response::Json(status, ErrorEnvelope(code, message, field));
}

// Counts a request from its parsed head to its written answer.
struct InFlight {
  explicit InFlight(std::atomic<std::int64_t>& n) : n_(n) { ++n_; }
  ~InFlight() { --n_; }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  std::atomic<std::int64_t>& n_;
};

class Handler final : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(const Server& server, const Router& router) : server_(server), router_(router) {}

  void handleRequest(Poco::Net::HTTPServerRequest& in,
                     Poco::Net::HTTPServerResponse& out) override {
    const InFlight counted(server_.in_flight());
    Request req;
    Response resp;
    bool close = false;
    auto* watch = ReadDeadlines::Watch::Current();
    if (watch) watch->Arm(server_.options().body_timeout);
    try {
      req.method = in.getMethod();
      const auto rid = in.get("X-Request-Id", "");
      req.request_id = ValidRequestId(rid) ? rid : NewRequestId();
      for (const auto& [k, v] : in) {
        std::string key = k;
        std::transform(key.begin(), key.end(), key.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        req.headers[key] = v;
      }
      const auto xff = req.headers.find("x-forwarded-for");
      req.remote_ip = ClientAddress(in.clientAddress().host(),
                                    xff == req.headers.end() ? nullptr : &xff->second,
                                    server_.options().trusted_proxies);
      if (!KnownMethod(req.method)) {
        // Answered before anything is read: such a request's body has no defined end.
        req.method = "other";
        req.path = in.getURI();  // as sent, for the log (escaped there)
        req.route = "unmatched";
        resp = ErrorResponse(501, "not_implemented", "the method is not supported");
        server_.Record(req, resp, "not_implemented", std::chrono::steady_clock::now());
        close = true;
      } else {
        resp = Read(in, req, close, watch);
      }
    } catch (const std::exception& e) {
      // Only malformed request lines or URIs get here; they never reached a handler.
      if (req.request_id.empty()) req.request_id = NewRequestId();
      resp = ErrorResponse(400, "bad_request", std::string("malformed request: ") + e.what());
      if (!KnownMethod(req.method)) req.method = "other";
      req.route = "unmatched";
      server_.Record(req, resp, "bad_request", std::chrono::steady_clock::now());
      close = true;
    }
    if (watch) watch->Disarm();  // writing the answer is not reading
    Write(out, req, resp, close);
    // The next request's head: the idle keep-alive wait plus its read time.
    if (watch) watch->Arm(server_.options().keep_alive_timeout + server_.options().header_timeout);
  }

 private:
  Response Read(Poco::Net::HTTPServerRequest& in, Request& req, bool& close,
                ReadDeadlines::Watch* watch) {
    Poco::URI uri(in.getURI());
    req.path = uri.getPath();
    for (const auto& [k, v] : uri.getQueryParameters()) req.query.emplace(k, v);

    const auto match = router_.Find(req.method, req.path);
    std::int64_t limit = server_.options().max_body_bytes;
    if (match.route && match.route->options.max_body_bytes > 0) {
      limit = match.route->options.max_body_bytes;
    }
    if (in.hasContentLength() && in.getContentLength64() > limit) {
      close = true;  // the unread body would corrupt the next request on this connection
      return TooLarge(req, limit);
    }
    // Without a length or chunked framing a request has no body (RFC 9112 6.3); reading
    // one would wait for the client to close.
    const bool has_body = in.hasContentLength() || in.getChunkedTransferEncoding();
    if (match.route && match.route->options.stream_body && has_body) {
      BodyStream body(in.stream(), limit);
      req.body_stream = &body;
      Response resp = server_.Dispatch(req);
      req.body_stream = nullptr;
      if (watch) watch->Disarm();
      if (!body.drained()) {
        // The handler answered before the body ended (refused, too large). Read and drop
        // what the client is still sending, up to a bound, so it reads this answer instead
        // of a connection reset; the connection cannot carry another request.
        close = true;
        try {
          in.stream().ignore(kLingerBytes);
        } catch (const std::exception&) {
          // The client is gone; its answer was counted and will not arrive.
        }
      }
      return resp;
    }
    req.body.reserve(static_cast<std::size_t>(
        std::min<std::int64_t>(in.hasContentLength() ? in.getContentLength64() : 0, limit)));
    auto& stream = in.stream();
    char buf[16384];
    while (has_body && stream) {
      stream.read(buf, sizeof buf);
      const auto n = stream.gcount();
      if (n <= 0) break;
      if (static_cast<std::int64_t>(req.body.size()) + n > limit) {
        close = true;
        return TooLarge(req, limit);
      }
      req.body.append(buf, static_cast<std::size_t>(n));
    }
    if (watch) watch->Disarm();
    return server_.Dispatch(req);
  }

  Response TooLarge(Request& req, std::int64_t limit) {
    req.route = "unmatched";
    Response resp =
        ErrorResponse(413, "payload_too_large",
                      "the request body exceeds " + std::to_string(limit) + " bytes", "body");
    server_.Record(req, resp, "payload_too_large", std::chrono::steady_clock::now());
    return resp;
  }

  static void Write(Poco::Net::HTTPServerResponse& out, const Request& req, const Response& resp,
                    bool close) {
    out.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(resp.status));
    out.set("X-Request-Id", req.request_id);
    for (const auto& [k, v] : resp.headers) out.set(k, v);
    if (close) out.setKeepAlive(false);
    if (!resp.content_type.empty()) out.setContentType(resp.content_type);
    out.setContentLength64(static_cast<Poco::Int64>(resp.body.size()));
    out.sendBuffer(resp.body.data(), resp.body.size());
  }

  const Server& server_;
  const Router& router_;
};

class Factory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  Factory(const Server& server, const Router& router) : server_(server), router_(router) {}
  // Asks keep-alive connections to close after their current request (abort: now).
  void StopConnections(bool abort) { serverStopped(this, abort); }
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(server_, router_);
  }

 private:
  const Server& server_;
  const Router& router_;
};

// Poco's HTTP connection, registered with the read deadlines for its whole life; its
// first request head is due within the keep-alive and head timeouts.
class WatchedConnection final : public Poco::Net::TCPServerConnection {
 public:
  WatchedConnection(const Poco::Net::StreamSocket& socket, Poco::Net::TCPServerConnection* inner,
                    ReadDeadlines& deadlines, std::chrono::milliseconds first_head)
      : TCPServerConnection(socket),
        inner_(inner),
        deadlines_(deadlines),
        first_head_(first_head) {}
  void run() override {
    ReadDeadlines::Watch watch(deadlines_, socket());
    watch.Arm(first_head_);
    try {
      inner_->run();
    } catch (const std::exception& e) {
      // What Poco's own start() would swallow; a connection's end is never the host's.
      spdlog::debug("http: connection ended: {}", e.what());
    }
  }

 private:
  std::unique_ptr<Poco::Net::TCPServerConnection> inner_;
  ReadDeadlines& deadlines_;
  std::chrono::milliseconds first_head_;
};

class WatchedConnectionFactory final : public Poco::Net::TCPServerConnectionFactory {
 public:
  WatchedConnectionFactory(Poco::Net::HTTPServerParams::Ptr params,
                           Poco::Net::HTTPRequestHandlerFactory::Ptr handlers,
                           ReadDeadlines& deadlines, std::chrono::milliseconds first_head)
      : inner_(std::move(params), std::move(handlers)),
        deadlines_(deadlines),
        first_head_(first_head) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& socket) override {
    return new WatchedConnection(socket, inner_.createConnection(socket), deadlines_, first_head_);
  }

 private:
  Poco::Net::HTTPServerConnectionFactory inner_;
  ReadDeadlines& deadlines_;
  std::chrono::milliseconds first_head_;
};

}  // namespace

bool KnownMethod(const std::string& method) {
  static const char* known[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
  return std::any_of(std::begin(known), std::end(known),
                     [&](const char* m) { return method == m; });
}

std::string NewRequestId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* hex = "0123456789abcdef";
  std::string out(32, '0');
  for (int half = 0; half < 2; ++half) {
    auto v = rng();
    for (int i = 0; i < 16; ++i) {
      out[static_cast<std::size_t>(half * 16 + i)] = hex[v & 0xf];
      v >>= 4;
    }
  }
  return out;
}

Server::Server(ServerOptions options, const Router& router, metrics::Registry& metrics)
    : options_(std::move(options)), router_(router), metrics_(metrics) {}

Server::~Server() {
  if (server_) Stop(std::chrono::milliseconds(0));
}

void Server::Start() {
  socket_ = std::make_unique<Poco::Net::ServerSocket>();
  socket_->bind(Poco::Net::SocketAddress(options_.host, static_cast<Poco::UInt16>(options_.port)),
                /*reuseAddress=*/true);
  socket_->listen(options_.max_queued);
  port_ = socket_->address().port();
  // The gauge owns a share of the counter: it may be read after this server is gone.
  metrics_.Gauge("sloth_http_requests_in_flight",
                 "requests between their parsed head and their written answer", [n = in_flight_] {
                   return std::vector<std::pair<metrics::Labels, double>>{
                       {{}, static_cast<double>(n->load())}};
                 });
  // Shared by the connection factory and the server: an AutoPtr, so each holds a count.
  Poco::Net::HTTPServerParams::Ptr params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(options_.max_threads);
  params->setMaxQueued(options_.max_queued);
  params->setKeepAlive(true);
  params->setKeepAliveTimeout(Poco::Timespan(options_.keep_alive_timeout.count() * 1000));
  params->setServerName("sloth-host");
  // The gap between two bytes of a request; the deadlines bound the whole.
  params->setTimeout(Poco::Timespan(options_.header_timeout.count() * 1000));
  threads_ = std::make_unique<Poco::ThreadPool>(2, options_.max_threads);
  deadlines_ = std::make_unique<ReadDeadlines>([this] {
    metrics_.Inc("sloth_http_read_deadline_cuts_total",
                 "connections closed for sending a request too slowly", {});
  });
  handlers_ = new Factory(*this, router_);
  server_ = std::make_unique<Poco::Net::TCPServer>(
      new WatchedConnectionFactory(params, handlers_, *deadlines_,
                                   options_.keep_alive_timeout + options_.header_timeout),
      *threads_, *socket_, params);
  server_->start();
}

void Server::Stop(std::chrono::milliseconds grace) {
  if (!server_) return;
  // Stop accepting first and close the listening socket, so new clients are refused at
  // once. stopAll() then asks keep-alive connections to close after their current request;
  // it blocks while a request is being handled, which is the waiting we want.
  server_->stop();
  socket_->close();
  handlers_.cast<Factory>()->StopConnections(false);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (server_->currentConnections() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (server_->currentConnections() > 0) {
    spdlog::warn("http: {} connection(s) still open after the {} ms grace period; aborting them",
                 server_->currentConnections(), grace.count());
    handlers_.cast<Factory>()->StopConnections(true);
  }
  threads_->joinAll();
  server_.reset();
  handlers_.reset();
  threads_.reset();
  deadlines_.reset();
}

Response Server::Dispatch(Request& req) const {
  static auto access = log::Get("http");
  const auto start = std::chrono::steady_clock::now();
  Response resp;
  std::string error_code;
  {
    const auto match = router_.Find(req.method, req.path);
    if (!match.route) {
      req.route = "unmatched";
      if (!match.allowed.empty()) {
        std::string allow;
        for (const auto& m : match.allowed) allow += (allow.empty() ? "" : ", ") + m;
        resp = ErrorResponse(405, "method_not_allowed",
                             req.method + " is not allowed here; allowed: " + allow);
        resp.headers.emplace_back("Allow", allow);
        error_code = "method_not_allowed";
      } else {
        resp = ErrorResponse(404, "not_found", "no route for " + req.path);
        error_code = "not_found";
      }
    } else {
      req.route = match.route->pattern;
      req.params = match.params;
      try {
        resp = match.route->handler(req);
      } catch (const ApiError& e) {
        resp = Response::Json(e.status(), e.Envelope());
        resp.headers = e.headers();
        error_code = e.code();
      } catch (const db::PoolTimeout& e) {
        resp = ErrorResponse(503, "unavailable", "the service is busy; retry shortly");
        resp.headers.emplace_back("Retry-After", "1");
        error_code = "unavailable";
        access->warn("{} {} rid={}: {}", req.method, log::Field(req.path), req.request_id,
                     e.what());
      } catch (const db::ConnectionLost& e) {
        resp = ErrorResponse(503, "unavailable", "the database is unavailable; retry shortly");
        resp.headers.emplace_back("Retry-After", "5");
        error_code = "unavailable";
        access->error("{} {} rid={}: {}", req.method, log::Field(req.path), req.request_id,
                      e.what());
      } catch (const nlohmann::json::exception& e) {
        resp = ErrorResponse(400, "invalid_argument",
                             std::string("malformed JSON value: ") + e.what(), "body");
        error_code = "invalid_argument";
      } catch (const std::exception& e) {
        resp = ErrorResponse(500, "internal", "internal error; quote request id " + req.request_id);
        error_code = "internal";
        access->error("{} {} rid={}: unhandled: {}", req.method, log::Field(req.path),
                      req.request_id, e.what());
      }
      if (req.body_stream && req.body_stream->too_large() && resp.status != 413) {
        // Whatever the handler made of a body cut off at the limit, this is the answer.
        resp = ErrorResponse(
            413, "payload_too_large",
            "the request body exceeds " + std::to_string(req.body_stream->bytes_read()) + " bytes",
            "body");
        error_code = "payload_too_large";
      }
    }
  }
  Record(req, resp, error_code, start);
  return resp;
}

void Server::Record(const Request& req, const Response& resp, const std::string& error_code,
                    std::chrono::steady_clock::time_point start) const {
  static auto access = log::Get("http");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_.Inc(
      "sloth_http_requests_total", "HTTP requests by method, route and status",
      {{"method", req.method}, {"route", req.route}, {"status", std::to_string(resp.status)}});
  metrics_.Observe("sloth_http_request_duration_seconds", "HTTP request latency",
                   {{"method", req.method}, {"route", req.route}}, seconds);
  access->info("{} {} {} {}B {:.2f}ms rid={} ip={}{}{}", req.method, log::Field(req.path),
               resp.status, resp.body.size(), seconds * 1000, req.request_id, req.remote_ip,
               error_code.empty() ? "" : " error=", error_code);
}

}  // namespace sloth::http
