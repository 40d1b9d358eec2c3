#include "ops/ops_routes.hpp"

#include "http/api_error.hpp"

namespace sloth::ops {
namespace {

using Samples = std::vector<std::pair<metrics::Labels, double>>;

Samples One(double v) {
  return Samples{std::make_pair(metrics::Labels{}, v)};
}

}  // namespace

void AddRoutes(http::Router& router, db::Pool& pool, db::Migrator& migrator,
               metrics::Registry& metrics) {
  metrics.Gauge("sloth_db_pool_connections", "database pool connections by state", [&pool] {
    const auto s = pool.Stats();
    return std::vector<std::pair<metrics::Labels, double>>{
        {{{"state", "in_use"}}, double(s.in_use)},
        {{{"state", "idle"}}, double(s.idle)},
        {{{"state", "max"}}, double(s.size)}};
  });
  metrics.Gauge(
      "sloth_db_pool_waits_total", "acquisitions that waited for a free connection",
      [&pool] { return One(static_cast<double>(pool.Stats().waits)); }, "counter");
  metrics.Gauge(
      "sloth_db_pool_timeouts_total", "acquisitions that gave up waiting",
      [&pool] { return One(static_cast<double>(pool.Stats().timeouts)); }, "counter");
  metrics.Gauge(
      "sloth_db_pool_reconnects_total", "dead connections replaced",
      [&pool] { return One(static_cast<double>(pool.Stats().reconnects)); }, "counter");

  router.Add("GET", "/health", [](http::Request&) {
    return http::Response::Json(200, {{"status", "ok"}});
  });

  router.Add("GET", "/ready", [&migrator](http::Request&) {
    try {
      const auto status = migrator.Status();
      if (!status.Current()) {
        auto body = http::ErrorEnvelope("not_ready", status.Describe());
        body["status"] = "not_ready";
        return http::Response::Json(503, body);
      }
      return http::Response::Json(
          200, {{"status", "ready"}, {"migrations", {{"public", status.public_applied}}}});
    } catch (const std::exception& e) {
      auto body = http::ErrorEnvelope("not_ready", std::string("database: ") + e.what());
      body["status"] = "not_ready";
      return http::Response::Json(503, body);
    }
  });

  router.Add("GET", "/metrics", [&metrics](http::Request&) {
    return http::Response::Text(200, metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace sloth::ops
