#include "http/router.hpp"

#include <algorithm>
#include <stdexcept>

#include "http/api_error.hpp"

namespace sloth::http {

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    const auto j = path.find('/', i);
    const auto end = j == std::string::npos ? path.size() : j;
    if (end > i) out.push_back(path.substr(i, end - i));
    i = end;
  }
  return out;
}

void Router::Add(std::string method, std::string pattern, Handler handler, RouteOptions options) {
  Route r{std::move(method), std::move(pattern), {}, std::move(handler), options};
  r.segments = SplitPath(r.pattern);
  // Parameter names don't distinguish routes: /a/{id} and /a/{other} are the same path.
  auto shape = [](const std::vector<std::string>& segments) {
    std::vector<std::string> out;
    for (const auto& s : segments) out.push_back(s.size() > 2 && s.front() == '{' ? "{}" : s);
    return out;
  };
  for (const auto& existing : routes_) {
    if (existing.method == r.method && shape(existing.segments) == shape(r.segments)) {
      throw std::logic_error("route " + r.method + " " + r.pattern + " registered twice");
    }
  }
  routes_.push_back(std::move(r));
}

Router::Match Router::Find(const std::string& method, const std::string& path) const {
  const auto parts = SplitPath(path);
  Match best;
  int best_literals = -1;
  for (const auto& r : routes_) {
    if (r.segments.size() != parts.size()) continue;
    std::map<std::string, std::string> params;
    int literals = 0;
    bool ok = true;
    for (std::size_t i = 0; i < parts.size() && ok; ++i) {
      const auto& seg = r.segments[i];
      if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
        params[seg.substr(1, seg.size() - 2)] = parts[i];
      } else if (seg == parts[i]) {
        ++literals;
      } else {
        ok = false;
      }
    }
    if (!ok) continue;
    if (r.method != method) {
      if (std::find(best.allowed.begin(), best.allowed.end(), r.method) == best.allowed.end()) {
        best.allowed.push_back(r.method);
      }
      continue;
    }
    if (literals > best_literals) {
      best_literals = literals;
      best.route = &r;
      best.params = std::move(params);
    }
  }
  return best;
}

}  // namespace sloth::http
