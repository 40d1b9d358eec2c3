// Request lines against the host's route shapes: method and path of any bytes.
#include <cstdint>
#include <string>

#include "http/router.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const sloth::http::Router router = [] {
    sloth::http::Router r;
    auto ok = [](sloth::http::Request&) { return sloth::http::Response::NoContent(); };
    for (const char* p :
         {"/health", "/api/auth/me", "/api/documents/{id}", "/api/documents/{id}/status",
          "/hooks/{plugin}/{integration}", "/api/booking/specialists/{id}/hours",
          "/api/integrations/{plugin}/connect"})
      for (const char* m : {"GET", "POST", "DELETE"}) r.Add(m, p, ok);
    return r;
  }();
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto space = input.find(' ');
  const std::string method = space == std::string::npos ? "GET" : input.substr(0, space);
  const std::string path = space == std::string::npos ? input : input.substr(space + 1);
  const auto match = router.Find(method, path);
  if (match.route && match.route->method != method) __builtin_trap();
  return 0;
}
