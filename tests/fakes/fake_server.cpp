#include "fakes/fake_server.hpp"

#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/ThreadPool.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cctype>

namespace sloth::fakes {

std::string FakeRequest::Header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

class FakeHandler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit FakeHandler(FakeServer& server) : server_(server) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    FakeRequest r;
    r.method = req.getMethod();
    const Poco::URI uri(req.getURI());
    r.path = uri.getPath();
    r.query = uri.getRawQuery();
    for (const auto& [k, v] : req) {
      std::string name = k;
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      r.headers[name] = v;
    }
    Poco::StreamCopier::copyToString(req.stream(), r.body);
    const FakeResponse out = server_.Serve(r);
    resp.setStatus(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(out.status));
    resp.setContentType(out.content_type);
    for (const auto& [k, v] : out.headers) resp.set(k, v);
    resp.setContentLength64(static_cast<Poco::Int64>(out.body.size()));
    resp.send() << out.body;
  }

 private:
  FakeServer& server_;
};

namespace {
class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(FakeServer& s) : s_(s) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new FakeHandler(s_);
  }

 private:
  FakeServer& s_;
};
}  // namespace

FakeServer::FakeServer(Handler handler) : handler_(std::move(handler)) {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  port_ = socket.address().port();
  auto* params = new Poco::Net::HTTPServerParams;
  params->setMaxThreads(64);
  threads_ = std::make_unique<Poco::ThreadPool>(2, 64);
  server_ = std::make_unique<Poco::Net::HTTPServer>(new Factory(*this), *threads_, socket, params);
  server_->start();
}

FakeServer::~FakeServer() {
  server_->stopAll(true);
  threads_->joinAll();
}

FakeResponse FakeServer::Serve(const FakeRequest& request) {
  {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
  }
  return handler_(request);
}

std::vector<FakeRequest> FakeServer::Requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

void FakeServer::ClearRequests() {
  std::lock_guard lock(mu_);
  requests_.clear();
}

std::map<std::string, std::string> ParseForm(const std::string& body) {
  std::map<std::string, std::string> out;
  std::size_t pos = 0;
  while (pos <= body.size()) {
    const auto amp = body.find('&', pos);
    const std::string pair =
        body.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      std::string k, v;
      Poco::URI::decode(pair.substr(0, eq), k, true);
      if (eq != std::string::npos) Poco::URI::decode(pair.substr(eq + 1), v, true);
      out[k] = v;
    }
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return out;
}

}  // namespace sloth::fakes
