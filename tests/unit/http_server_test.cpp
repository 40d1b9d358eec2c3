#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/body_stream.hpp"
#include "http/client_address.hpp"
#include "http/server.hpp"
#include "log/log.hpp"
#include "support/wait.hpp"

namespace sloth::http {
namespace {

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    router_.Add("POST", "/echo", [](Request& r) {
      return Response::Json(200, {{"size", r.body.size()}, {"q", r.Query("q").value_or("")}});
    });
    router_.Add(
        "POST", "/upload",
        [](Request& r) {
          return Response::Json(200, {{"size", r.body.size()}});
        },
        RouteOptions{false, 4096});
    RouteOptions stream;
    stream.max_body_bytes = 1 << 20;
    stream.stream_body = true;
    router_.Add(
        "POST", "/stream",
        [](Request& r) {
          const std::string body((std::istreambuf_iterator<char>(*r.body_stream)), {});
          return Response::Json(200, {{"size", body.size()}, {"buffered", r.body.size()}});
        },
        stream);
    ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.max_body_bytes = 1024;
    server_ = std::make_unique<Server>(o, router_, metrics_);
    server_->Start();
  }
  void TearDown() override { server_->Stop(std::chrono::milliseconds(1000)); }

  struct Reply {
    int status;
    std::string body;
    std::string request_id;
  };
  Reply Post(const std::string& path, const std::string& body, bool chunked = false,
             const std::string& request_id = "") {
    Poco::Net::HTTPClientSession s("127.0.0.1", static_cast<Poco::UInt16>(server_->port()));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, path,
                               Poco::Net::HTTPMessage::HTTP_1_1);
    if (chunked) {
      req.setChunkedTransferEncoding(true);
    } else {
      req.setContentLength64(static_cast<Poco::Int64>(body.size()));
    }
    if (!request_id.empty()) req.set("X-Request-Id", request_id);
    s.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::string out;
    Poco::StreamCopier::copyToString(s.receiveResponse(resp), out);
    return {resp.getStatus(), out, resp.get("X-Request-Id", "")};
  }

  Router router_;
  metrics::Registry metrics_;
  std::unique_ptr<Server> server_;
};

TEST_F(HttpServerTest, ReadsBodyAndQuery) {
  auto r = Post("/echo?q=hello%20world", std::string(1000, 'x'));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(nlohmann::json::parse(r.body), (nlohmann::json{{"size", 1000}, {"q", "hello world"}}));
}

TEST_F(HttpServerTest, BodyTooLargeByContentLength) {
  auto r = Post("/echo", std::string(1025, 'x'));
  EXPECT_EQ(r.status, 413);
  const auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["error"]["code"], "payload_too_large");
  EXPECT_EQ(j["error"]["field"], "body");
  EXPECT_EQ(j["error"]["message"], "the request body exceeds 1024 bytes");
}

TEST_F(HttpServerTest, BodyTooLargeWhenChunked) {
  auto r = Post("/echo", std::string(5000, 'x'), /*chunked=*/true);
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "payload_too_large");
}

TEST_F(HttpServerTest, RouteMayRaiseItsLimit) {
  EXPECT_EQ(Post("/upload", std::string(4096, 'x')).status, 200);
  EXPECT_EQ(Post("/upload", std::string(4097, 'x')).status, 413);
}

TEST_F(HttpServerTest, RequestIdOnEveryResponse) {
  auto r = Post("/echo", "{}");
  EXPECT_EQ(r.request_id.size(), 32u);
  EXPECT_EQ(Post("/echo", "{}", false, "client-id-1").request_id, "client-id-1");
  // A hostile id is replaced, not echoed into headers and logs.
  EXPECT_EQ(Post("/echo", "{}", false, "bad id\twith spaces").request_id.size(), 32u);
  EXPECT_EQ(Post("/nowhere", "{}").request_id.size(), 32u);
}

TEST_F(HttpServerTest, MetricsSeeRefusedRequests) {
  Post("/echo", std::string(2000, 'x'));
  EXPECT_EQ(metrics_.CounterValue("sloth_http_requests_total",
                                  {{"method", "POST"}, {"route", "unmatched"}, {"status", "413"}}),
            1);
}

TEST_F(HttpServerTest, StreamedBodiesReachTheHandlerAsTheyArrive) {
  const auto r = Post("/stream", std::string(300000, 'x'));
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(nlohmann::json::parse(r.body)["size"], 300000);
  EXPECT_EQ(nlohmann::json::parse(r.body)["buffered"], 0);
  EXPECT_EQ(Post("/stream", std::string(2 << 20, 'x'), true).status, 413);  // chunked, too big

  // A client that asks before sending (curl does above 1 MB) is told to go on.
  Poco::Net::StreamSocket sock(Poco::Net::SocketAddress("127.0.0.1", server_->port()));
  sock.setReceiveTimeout(Poco::Timespan(5, 0));
  const std::string head =
      "POST /stream HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n";
  sock.sendBytes(head.data(), static_cast<int>(head.size()));
  char buf[512];
  int n = sock.receiveBytes(buf, sizeof buf);
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)).rfind("HTTP/1.1 100", 0), 0u)
      << std::string(buf, static_cast<std::size_t>(n));
  sock.sendBytes("hello", 5);
  std::string reply;
  while (reply.find("\"size\"") == std::string::npos &&
         (n = sock.receiveBytes(buf, sizeof buf)) > 0)
    reply.append(buf, static_cast<std::size_t>(n));
  EXPECT_NE(reply.find("200"), std::string::npos) << reply;
  EXPECT_NE(reply.find("\"size\":5"), std::string::npos) << reply;
}

// A raw connection to the server, for requests a well-behaved client would not send.
class RawClient {
 public:
  explicit RawClient(int port) : sock_(Poco::Net::SocketAddress("127.0.0.1", port)) {
    sock_.setReceiveTimeout(Poco::Timespan(30, 0));  // a hang fails the test, not the run
  }
  void Send(const std::string& bytes) {
    sock_.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  }
  // Everything until the server closes the connection.
  std::string ReadToClose() {
    std::string out;
    char buf[4096];
    for (int n; (n = sock_.receiveBytes(buf, sizeof buf)) > 0;)
      out.append(buf, static_cast<std::size_t>(n));
    return out;
  }
  // Sends `bytes` one at a time, `gap` apart, until the server closes the connection;
  // returns how many were sent by then (bytes.size() + 1 when it never closed).
  std::size_t Drip(const std::string& bytes, std::chrono::milliseconds gap) {
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      if (sock_.poll(Poco::Timespan(gap.count() * 1000), Poco::Net::Socket::SELECT_READ)) {
        char c;
        try {
          if (sock_.receiveBytes(&c, 1) <= 0) return i;
        } catch (const Poco::Exception&) {
          return i;  // reset
        }
      }
      try {
        sock_.sendBytes(&bytes[i], 1);
      } catch (const Poco::Exception&) {
        return i;
      }
    }
    return bytes.size() + 1;
  }

 private:
  Poco::Net::StreamSocket sock_;
};

TEST_F(HttpServerTest, UnknownMethodsAreAnsweredAtOnceUnderOneLabel) {
  for (int i = 0; i < 20; ++i) {
    RawClient c(server_->port());
    c.Send("M" + std::to_string(i) + "X /health HTTP/1.1\r\nHost: x\r\n\r\n");
    const std::string reply = c.ReadToClose();
    EXPECT_EQ(reply.rfind("HTTP/1.1 501", 0), 0u) << reply;
  }
  EXPECT_EQ(metrics_.CounterValue("sloth_http_requests_total",
                                  {{"method", "other"}, {"route", "unmatched"}, {"status", "501"}}),
            20);
  const std::string text = metrics_.Render();
  EXPECT_EQ(text.find("M0X"), std::string::npos);
  EXPECT_EQ(text.find("M19X"), std::string::npos);
  // A POST without a length or chunked framing has no body: answered, not waited on.
  RawClient c(server_->port());
  c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string reply = c.ReadToClose();
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_NE(reply.find("\"size\":0"), std::string::npos) << reply;
}

// Slow clients: a short head and body deadline, two worker threads.
class SlowClientTest : public HttpServerTest {
 protected:
  void SetUp() override {
    router_.Add("POST", "/echo", [](Request& r) {
      return Response::Json(200, {{"size", r.body.size()}});
    });
    ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.max_threads = 2;
    o.keep_alive_timeout = std::chrono::milliseconds(200);
    o.header_timeout = std::chrono::milliseconds(300);
    o.body_timeout = std::chrono::milliseconds(300);
    server_ = std::make_unique<Server>(o, router_, metrics_);
    server_->Start();
  }
};

TEST_F(SlowClientTest, DrippingAHeadOrABodyIsCutOffAndFreesTheThread) {
  // Each byte comes well within the per-read timeout; the whole head never would. Both
  // worker threads are taken by drippers: the server must cut them to serve anyone else.
  const std::string head =
      "POST /echo HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(400, 'a') + "\r\n\r\n";
  std::size_t sent[2] = {0, 0};
  std::thread drippers[2];
  for (int i = 0; i < 2; ++i)
    drippers[i] = std::thread([&, i] {
      RawClient c(server_->port());
      sent[i] = c.Drip(head, std::chrono::milliseconds(20));
    });
  for (auto& t : drippers) t.join();
  for (const auto n : sent) {
    EXPECT_LT(n, head.size()) << "the dripping client was never cut off";
    EXPECT_GT(n, 0u);
  }
  // A body sent as slowly: its head arrives whole, then the body deadline applies.
  RawClient body(server_->port());
  body.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 400\r\n\r\n");
  EXPECT_LT(body.Drip(std::string(400, 'b'), std::chrono::milliseconds(20)), 400u);
  // The watchdog counts a cut after it shuts the socket, so the client can see the cut first.
  testing::WaitUntil(
      [&] { return metrics_.CounterValue("sloth_http_read_deadline_cuts_total", {}) >= 3; },
      std::chrono::seconds(5));
  EXPECT_EQ(metrics_.CounterValue("sloth_http_read_deadline_cuts_total", {}), 3);
  // The threads are free again: a normal client is served.
  const auto r = Post("/echo", "{}");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST(LogField, ControlCharactersCannotForgeALine) {
  EXPECT_EQ(log::Field("/api/x\n2026-01-01 info [http] GET /admin 200"),
            "/api/x\\x0a2026-01-01\\x20info\\x20[http]\\x20GET\\x20/admin\\x20200");
  EXPECT_EQ(log::Field("/plain/path"), "/plain/path");
  EXPECT_EQ(log::Field("a\\b\"c\x7f"), "a\\x5cb\\x22c\\x7f");
}

TEST(ClientAddress, TrustedProxiesAndRateKeys) {
  const std::vector<Cidr> trusted = {ParseCidr("10.0.0.0/8"), ParseCidr("2001:db8::1")};
  const Poco::Net::IPAddress balancer("10.1.2.3"), stranger("192.0.2.7");
  const std::string xff = "6.6.6.6, 198.51.100.4, 10.9.9.9";
  EXPECT_EQ(ClientAddress(stranger, &xff, trusted), "192.0.2.7");  // not a proxy: ignored
  EXPECT_EQ(ClientAddress(balancer, &xff, trusted), "198.51.100.4");
  EXPECT_EQ(ClientAddress(balancer, nullptr, trusted), "10.1.2.3");
  const std::string garbage = "not-an-ip";
  EXPECT_EQ(ClientAddress(balancer, &garbage, trusted), "10.1.2.3");
  EXPECT_EQ(ClientAddress(Poco::Net::IPAddress("::ffff:10.0.0.5"), &xff, trusted), "198.51.100.4");
  EXPECT_EQ(ClientAddress(Poco::Net::IPAddress("2001:db8::1"), &xff, trusted), "198.51.100.4");
  EXPECT_EQ(RateKey("198.51.100.4"), "198.51.100.4");
  EXPECT_EQ(RateKey("::ffff:198.51.100.4"), "198.51.100.4");
  EXPECT_EQ(RateKey("2001:db8:aa:bb:1:2:3:4"), RateKey("2001:db8:aa:bb:ffff::9"));
  EXPECT_NE(RateKey("2001:db8:aa:bb::1"), RateKey("2001:db8:aa:bc::1"));
  EXPECT_THROW(ParseCidr("10.0.0.0/33"), std::invalid_argument);
  EXPECT_THROW(ParseCidr("example.com"), std::invalid_argument);
  EXPECT_TRUE(ParseCidr("10.0.0.0/8").Contains(Poco::Net::IPAddress("10.200.0.1")));
  EXPECT_FALSE(ParseCidr("10.0.0.0/8").Contains(Poco::Net::IPAddress("11.0.0.1")));
}

TEST(BodyStream, ReadsUpToItsLimitAndTellsWhy) {
  std::istringstream small("0123456789");
  BodyStream whole(small, 10);
  std::string got((std::istreambuf_iterator<char>(whole)), {});
  EXPECT_EQ(got, "0123456789");
  EXPECT_FALSE(whole.too_large());
  EXPECT_TRUE(whole.drained());
  EXPECT_EQ(whole.tail(), "0123456789");

  std::istringstream big("0123456789x");
  BodyStream cut(big, 10);
  got.assign(std::istreambuf_iterator<char>(cut), {});
  EXPECT_EQ(got, "0123456789");  // never more than the limit
  EXPECT_TRUE(cut.too_large());

  // The tail keeps the end of a long body across reads.
  std::string long_body(200000, 'a');
  long_body += "--end--";
  std::istringstream in(long_body);
  BodyStream stream(in, 1 << 20);
  got.assign(std::istreambuf_iterator<char>(stream), {});
  EXPECT_EQ(got.size(), long_body.size());
  const auto tail = stream.tail();
  EXPECT_GE(tail.size(), 256u);
  EXPECT_EQ(tail.substr(tail.size() - 7), "--end--");
}

}  // namespace
}  // namespace sloth::http
