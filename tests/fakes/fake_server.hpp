#pragma once

// A provider stand-in on 127.0.0.1: a real HTTP server (Poco) that records every request
// and answers through a handler. The provider fakes (Stripe, Telegram, WhatsApp, ...) are
// handlers speaking their provider's wire format.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace Poco {
class ThreadPool;
namespace Net {
class HTTPServer;
}
}  // namespace Poco

namespace sloth::fakes {

struct FakeRequest {
  std::string method;
  std::string path;                            // without the query
  std::string query;                           // raw, without '?'
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string Header(const std::string& lower_name) const;
};

struct FakeResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  static FakeResponse Json(int status, std::string body) {
    FakeResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
};

class FakeServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;
  explicit FakeServer(Handler handler);
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  int port() const { return port_; }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<FakeRequest> Requests() const;
  void ClearRequests();

 private:
  friend class FakeHandler;
  FakeResponse Serve(const FakeRequest& request);

  Handler handler_;
  int port_ = 0;
  // Its own threads: Poco's default pool (16, shared by the process) would cap how many
  // requests a fake can hold at once, and tests hold many on purpose.
  std::unique_ptr<Poco::ThreadPool> threads_;
  std::unique_ptr<Poco::Net::HTTPServer> server_;
  mutable std::mutex mu_;
  std::vector<FakeRequest> requests_;
};

// Form bodies (application/x-www-form-urlencoded) as key -> value, keys as sent.
std::map<std::string, std::string> ParseForm(const std::string& body);

}  // namespace sloth::fakes
