#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/body_stream.hpp"
#include "http/server.hpp"

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
