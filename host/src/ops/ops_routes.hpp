#pragma once

#include "db/migrations.hpp"
#include "db/pool.hpp"
#include "http/router.hpp"
#include "metrics/metrics.hpp"

namespace sloth::ops {

// GET /health (the process answers), GET /ready (database reachable and migrations
// current), GET /metrics (Prometheus text). Also registers the pool's gauges.
void AddRoutes(http::Router& router, db::Pool& pool, db::Migrator& migrator,
               metrics::Registry& metrics);

}  // namespace sloth::ops
