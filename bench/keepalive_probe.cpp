// Holds N idle keep-alive connections to a running host (each has made one request and
// keeps its socket open), then measures how long a new client waits for GET /health.
// Poco's HTTP server gives every connection a thread; if idle connections held all of
// them, the new client would wait for a keep-alive timeout.
//
//   keepalive_probe HOST PORT [IDLE_CONNECTIONS] [PROBES]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

namespace {

bool Get(Poco::Net::StreamSocket& s, const std::string& host) {
  const std::string req =
      "GET /health HTTP/1.1\r\nHost: " + host + "\r\nConnection: keep-alive\r\n\r\n";
  s.sendBytes(req.data(), static_cast<int>(req.size()));
  std::string got;
  char buf[4096];
  while (got.find("\r\n\r\n") == std::string::npos ||
         got.find("{\"status\":\"ok\"}") == std::string::npos) {
    const int n = s.receiveBytes(buf, sizeof buf);
    if (n <= 0) return false;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got.rfind("HTTP/1.1 200", 0) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: keepalive_probe HOST PORT [IDLE_CONNECTIONS] [PROBES]\n");
    return 2;
  }
  const std::string host = argv[1];
  const auto port = static_cast<Poco::UInt16>(std::stoi(argv[2]));
  const int idle = argc > 3 ? std::stoi(argv[3]) : 256;
  const int probes = argc > 4 ? std::stoi(argv[4]) : 20;
  const Poco::Net::SocketAddress addr(host, port);

  std::vector<std::unique_ptr<Poco::Net::StreamSocket>> held;
  for (int i = 0; i < idle; ++i) {
    auto s = std::make_unique<Poco::Net::StreamSocket>(addr);
    s->setReceiveTimeout(Poco::Timespan(30, 0));
    if (!Get(*s, host)) {
      std::fprintf(stderr, "idle connection %d failed\n", i);
      return 1;
    }
    held.push_back(std::move(s));
  }
  std::vector<double> ms;
  for (int i = 0; i < probes; ++i) {
    const auto start = std::chrono::steady_clock::now();
    Poco::Net::StreamSocket s(addr);
    s.setReceiveTimeout(Poco::Timespan(30, 0));
    const bool ok = Get(s, host);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
    if (!ok) {
      std::fprintf(stderr, "probe %d failed\n", i);
      return 1;
    }
  }
  std::sort(ms.begin(), ms.end());
  std::printf("| idle keep-alive connections | probes | new-client p50 ms | new-client max ms |\n");
  std::printf("|---|---|---|---|\n");
  std::printf("| %d | %d | %.2f | %.2f |\n", idle, probes, ms[ms.size() / 2], ms.back());
  return ms.back() < 100.0 ? 0 : 3;
}
