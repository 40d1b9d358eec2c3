#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "http/request.hpp"

namespace sloth::http {

using Handler = std::function<Response(Request&)>;

struct RouteOptions {
  // The route acts on one tenant's data; the cross-tenant test walks these.
  bool tenant_scoped = false;
  // Overrides http.max_body_bytes for this route (uploads); 0 keeps the default.
  std::int64_t max_body_bytes = 0;
  // The handler reads the body from Request::body_stream as it arrives (uploads), instead
  // of the server buffering it into Request::body first.
  bool stream_body = false;
};

struct Route {
  std::string method;
  std::string pattern;  // "/api/documents/{id}/status"
  std::vector<std::string> segments;
  Handler handler;
  RouteOptions options;
};

// Method + path patterns with {name} segments. Literal segments win over parameters, so
// /api/agent/history and /api/agent/{x} can coexist.
class Router {
 public:
  void Add(std::string method, std::string pattern, Handler handler, RouteOptions options = {});

  struct Match {
    const Route* route = nullptr;
    std::map<std::string, std::string> params;
    std::vector<std::string> allowed;  // methods of a path that matched but not for this method
  };
  Match Find(const std::string& method, const std::string& path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

std::vector<std::string> SplitPath(const std::string& path);

}  // namespace sloth::http
