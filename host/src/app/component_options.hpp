#pragma once

// The options of the host's foundation components (pool, HTTP server and client, plugin
// manager, tokens, rate limits, jobs, accounts, billing lifecycle) made from their typed
// config sections. Concerns with sections of their own make their options beside their code
// (<concern>_config.hpp).

#include <vector>

#include "accounts/auth_routes.hpp"
#include "accounts/tokens.hpp"
#include "api/api.hpp"
#include "billing/subscription_lifecycle.hpp"
#include "config/host_config.hpp"
#include "db/pool.hpp"
#include "http/server.hpp"
#include "jobs/scheduler.hpp"
#include "jobs/worker_pool.hpp"
#include "outbound/http_client.hpp"
#include "plugins/plugin_manager.hpp"

namespace sloth::app {

db::PoolOptions PoolOptionsFrom(const config::DatabaseConfig& c);
outbound::Options OutboundOptionsFrom(const config::OutboundHttpConfig& c);
plugins::ManagerOptions ManagerOptionsFrom(const config::PluginsConfig& c);
// The services every plugin instance gets: the pool (key-value store), the HTTP client,
// metrics, plugins.config and the environment (secrets).
plugins::HostContext HostContextFrom(const config::HostConfig& c, db::Pool& pool,
                                     outbound::HttpClient& http, metrics::Registry& metrics);
accounts::TokenOptions TokenOptionsFrom(const config::AuthConfig& c);
api::Limits LimitsFrom(const config::RateLimitsConfig& c, const config::AuthConfig& auth);
accounts::AccountsOptions AccountsOptionsFrom(const config::HostConfig& c);
billing::LifecycleOptions LifecycleOptionsFrom(const billing::BillingConfig& c);
jobs::WorkerOptions WorkerOptionsFrom(const config::JobsConfig& c);
// The cron entries; throws config::ConfigError naming the entry whose cron is malformed.
std::vector<jobs::ScheduleEntry> ScheduleFrom(const config::HostConfig& c);
http::ServerOptions ServerOptionsFrom(const config::HttpConfig& c);

}  // namespace sloth::app
