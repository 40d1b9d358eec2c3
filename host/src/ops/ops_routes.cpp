#include "ops/ops_routes.hpp"

#include "http/api_error.hpp"
#include "log/log.hpp"

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
      "sloth_db_round_trips_total",
      "requests to PostgreSQL it answers (a statement, or statements sent together)",
      [] { return One(static_cast<double>(db::Connection::RoundTrips())); }, "counter");
  metrics.Gauge(
      "sloth_db_pool_reconnects_total", "dead connections replaced",
      [&pool] { return One(static_cast<double>(pool.Stats().reconnects)); }, "counter");

  router.Add("GET", "/health", [](http::Request&) {
    return http::Response::Json(200, {{"status", "ok"}});
  });

  // Names the check that failed, never its internal text (that goes to the log): anyone can
  // call /ready, and a database error can carry hosts, users and schema names.
  router.Add("GET", "/ready", [&migrator](http::Request& req) {
    static auto log = log::Get("ops");
    auto not_ready = [](const std::string& check, const std::string& message) {
      auto body = http::ErrorEnvelope("not_ready", message);
      body["status"] = "not_ready";
      body["failed_check"] = check;
      return http::Response::Json(503, body);
    };
    try {
      const auto status = migrator.Status();
      if (!status.Current()) {
        log->warn("ready: rid={} {}", req.request_id, status.Describe());
        return not_ready("migrations", "the database schema is not at this release's version");
      }
      return http::Response::Json(
          200, {{"status", "ready"}, {"migrations", {{"public", status.public_applied}}}});
    } catch (const std::exception& e) {
      log->warn("ready: rid={} database: {}", req.request_id, e.what());
      return not_ready("database", "the database cannot be reached");
    }
  });

  router.Add("GET", "/metrics", [&metrics](http::Request&) {
    return http::Response::Text(200, metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace sloth::ops
