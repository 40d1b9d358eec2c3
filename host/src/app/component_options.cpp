#include "app/component_options.hpp"

#include <cstdlib>

#include <spdlog/spdlog.h>

#include "schema/yaml_json.hpp"

namespace sloth::app {

db::PoolOptions PoolOptionsFrom(const config::DatabaseConfig& c) {
  db::PoolOptions o;
  o.url = c.url;
  o.size = c.pool_size;
  o.acquire_timeout = c.acquire_timeout;
  o.connect_timeout_s = c.connect_timeout_s;
  o.statement_timeout = c.statement_timeout;
  o.health_check_idle = c.health_check_idle;
  o.prepared_statements = c.prepared_statements;
  return o;
}

outbound::Options OutboundOptionsFrom(const config::OutboundHttpConfig& c) {
  outbound::Options o;
  o.allow_hosts = c.allow_hosts;
  o.allow_private = c.allow_private;
  o.rewrite = c.rewrite;
  o.default_timeout = c.timeout;
  o.max_response_bytes = c.max_response_bytes;
  return o;
}

plugins::ManagerOptions ManagerOptionsFrom(const config::PluginsConfig& c) {
  plugins::ManagerOptions o;
  o.dirs = c.dirs;
  o.call_timeout = c.call_timeout;
  o.kind_timeouts = c.kind_timeouts;
  o.init_timeout = c.init_timeout;
  o.max_threads = c.max_threads;
  o.max_calls_per_tenant = c.max_calls_per_tenant;
  return o;
}

plugins::HostContext HostContextFrom(const config::HostConfig& c, db::Pool& pool,
                                     outbound::HttpClient& http, metrics::Registry& metrics) {
  plugins::HostContext hc;
  hc.pool = &pool;
  hc.http = &http;
  hc.metrics = &metrics;
  hc.plugin_configs = config::YamlToJson(c.plugins.config);
  if (!hc.plugin_configs.is_object()) hc.plugin_configs = nlohmann::json::object();
  hc.env = [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  };
  return hc;
}

accounts::TokenOptions TokenOptionsFrom(const config::AuthConfig& c) {
  accounts::TokenOptions to;
  to.secret = c.jwt_secret;
  if (to.secret.empty()) {
    // Development only (production refuses this in config): tokens die with the process
    // and are not shared between hosts.
    to.secret = accounts::TokenService::NewOpaqueToken();
    spdlog::warn("auth.jwt_secret is not set: using a random key; tokens end at restart");
  }
  to.issuer = c.issuer;
  to.audience = c.audience;
  to.access_ttl = c.access_ttl;
  return to;
}

api::Limits LimitsFrom(const config::RateLimitsConfig& c, const config::AuthConfig& auth) {
  api::Limits limits;
  limits.session_check_ttl = auth.session_check;
  limits.anonymous = {static_cast<double>(c.anonymous_per_hour), std::chrono::hours(1)};
  limits.user = {static_cast<double>(c.user_per_hour), std::chrono::hours(1)};
  return limits;
}

accounts::AccountsOptions AccountsOptionsFrom(const config::HostConfig& c) {
  accounts::AccountsOptions ao;
  ao.refresh_ttl = c.auth.refresh_ttl;
  ao.session_lifetime = c.auth.session_lifetime;
  ao.invite_ttl = c.auth.invite_ttl;
  ao.login_per_ip = {static_cast<double>(c.rate_limits.login_per_minute_ip),
                     std::chrono::minutes(1)};
  ao.login_per_email = {static_cast<double>(c.rate_limits.login_per_minute_email),
                        std::chrono::minutes(1)};
  return ao;
}

billing::LifecycleOptions LifecycleOptionsFrom(const billing::BillingConfig& c) {
  billing::LifecycleOptions lo;
  lo.fallback_plan = c.fallback_plan;
  lo.past_due_grace = std::chrono::hours(24 * c.past_due_grace_days);
  return lo;
}

jobs::WorkerOptions WorkerOptionsFrom(const config::JobsConfig& c) {
  jobs::WorkerOptions wo;
  wo.queues.clear();
  for (const auto& [name, concurrency] : c.queues) wo.queues.push_back({name, concurrency});
  wo.lease = c.lease;
  wo.poll = c.poll;
  wo.vacuum_every = c.vacuum_every;
  return wo;
}

std::vector<jobs::ScheduleEntry> ScheduleFrom(const config::HostConfig& c) {
  std::vector<jobs::ScheduleEntry> entries;
  for (const auto& e : c.scheduler.entries) {
    try {
      entries.push_back({e.name, jobs::CronExpr::Parse(e.cron), e.kind, e.queue});
    } catch (const std::invalid_argument& ex) {
      throw config::ConfigError(c.file + ": key 'scheduler.entries." + e.name +
                                ".cron': " + ex.what());
    }
  }
  return entries;
}

http::ServerOptions ServerOptionsFrom(const config::HttpConfig& c) {
  http::ServerOptions so;
  so.host = c.host;
  so.port = c.port;
  so.max_body_bytes = c.max_body_bytes;
  so.max_threads = c.max_threads;
  so.max_queued = c.max_queued;
  so.keep_alive_timeout = c.keep_alive_timeout;
  so.header_timeout = c.header_timeout;
  so.body_timeout = c.body_timeout;
  so.trusted_proxies = c.trusted_proxies;
  return so;
}

}  // namespace sloth::app
