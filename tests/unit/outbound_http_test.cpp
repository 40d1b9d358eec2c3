#include <atomic>

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <gtest/gtest.h>

#include "outbound/http_client.hpp"
#include "sloth/plugin.h"

namespace sloth::outbound {
namespace {

// A local provider: /flaky answers 503 (Retry-After: 1) twice, then 200; /slow sleeps.
class Fake : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  std::atomic<int> flaky_calls{0};
  std::string last_body;
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    struct H : Poco::Net::HTTPRequestHandler {
      explicit H(Fake& f) : f_(f) {}
      void handleRequest(Poco::Net::HTTPServerRequest& req,
                         Poco::Net::HTTPServerResponse& resp) override {
        std::string body;
        Poco::StreamCopier::copyToString(req.stream(), body);
        if (req.getURI() == "/flaky" && ++f_.flaky_calls <= 2) {
          resp.setStatusAndReason(Poco::Net::HTTPResponse::HTTP_SERVICE_UNAVAILABLE);
          resp.set("Retry-After", "1");
          resp.send() << "busy";
          return;
        }
        if (req.getURI() == "/slow") Poco::Thread::sleep(1500);
        f_.last_body = body;
        resp.set("X-Echo", req.get("X-Test", ""));
        resp.send() << "ok:" << req.getMethod() << ":" << body;
      }
      Fake& f_;
    };
    return new H(*this);
  }
};

class OutboundTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = new Fake;
    Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
    port_ = socket.address().port();
    server_ =
        std::make_unique<Poco::Net::HTTPServer>(fake_, socket, new Poco::Net::HTTPServerParams);
    server_->start();
  }
  void TearDown() override {
    server_->stopAll(true);
    // A handler still sleeping in /slow must finish before the process tears down Poco.
    Poco::ThreadPool::defaultPool().joinAll();
  }

  HttpClient Client(Options o) { return HttpClient(std::move(o), metrics_); }
  std::string Base() const { return "http://127.0.0.1:" + std::to_string(port_); }

  Fake* fake_ = nullptr;  // owned by the server
  int port_ = 0;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  metrics::Registry metrics_;
};

int CodeOf(const HttpClient& c, const Request& r) {
  try {
    c.Send(r, "test");
  } catch (const Error& e) {
    return e.code();
  }
  return SLOTH_OK;
}

TEST_F(OutboundTest, RewriteReachesTheFakeWithHeadersAndBody) {
  Options o;
  o.allow_hosts = {"api.provider.test"};
  o.rewrite = {{"https://api.provider.test", Base()}};
  auto c = Client(o);
  Request r;
  r.method = "POST";
  r.url = "https://api.provider.test/send?x=1";
  r.headers = {{"X-Test", "v"}};
  r.body = "payload";
  const auto resp = c.Send(r, "test");
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "ok:POST:payload");
  bool echoed = false;
  for (const auto& [k, v] : resp.headers) echoed = echoed || (k == "X-Echo" && v == "v");
  EXPECT_TRUE(echoed);
}

TEST_F(OutboundTest, RefusesHostsOutsideTheAllowListAndPrivateAddresses) {
  Options o;
  o.allow_hosts = {"*.provider.test"};
  auto c = Client(o);
  Request r;
  r.url = "https://evil.example/steal";
  EXPECT_EQ(CodeOf(c, r), SLOTH_INVALID_ARGUMENT);
  r.url = "ftp://api.provider.test/";
  EXPECT_EQ(CodeOf(c, r), SLOTH_INVALID_ARGUMENT);

  Options open;  // any public host, but never a private one
  auto c2 = Client(open);
  r.url = Base() + "/x";  // loopback
  EXPECT_EQ(CodeOf(c2, r), SLOTH_INVALID_ARGUMENT);
  r.url = "http://169.254.169.254/latest/meta-data";  // cloud metadata
  EXPECT_EQ(CodeOf(c2, r), SLOTH_INVALID_ARGUMENT);
  r.url = "http://10.0.0.1/";
  EXPECT_EQ(CodeOf(c2, r), SLOTH_INVALID_ARGUMENT);
  Options allow_private;
  allow_private.allow_private = true;
  r.url = Base() + "/x";
  EXPECT_EQ(Client(allow_private).Send(r, "test").status, 200);
}

TEST_F(OutboundTest, RetriesHonourRetryAfter) {
  Options o;
  o.allow_private = true;
  auto c = Client(o);
  Request r;
  r.url = Base() + "/flaky";
  r.max_retries = 0;
  EXPECT_EQ(c.Send(r, "test").status, 503);  // no retries asked: the answer is returned
  fake_->flaky_calls = 0;
  r.max_retries = 3;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(c.Send(r, "test").status, 200);
  EXPECT_EQ(fake_->flaky_calls.load(), 3);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1900));
}

TEST_F(OutboundTest, TimesOut) {
  Options o;
  o.allow_private = true;
  auto c = Client(o);
  Request r;
  r.url = Base() + "/slow";
  r.timeout = std::chrono::milliseconds(300);
  EXPECT_EQ(CodeOf(c, r), SLOTH_TIMEOUT);
}

}  // namespace
}  // namespace sloth::outbound
