#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "agent/agent_config.hpp"
#include "billing/billing_config.hpp"
#include "channels/channels_config.hpp"
#include "knowledge/knowledge_config.hpp"
#include "schema/schema.hpp"
#include "storage/storage_config.hpp"

#include "http/client_address.hpp"

namespace sloth::config {

struct HttpConfig {
  std::string host = "0.0.0.0";
  int port = 8080;
  std::int64_t max_body_bytes = 1 << 20;
  int max_threads = 512;
  int max_queued = 1024;
  std::chrono::milliseconds keep_alive_timeout{5000};
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{60000};
  std::vector<http::Cidr> trusted_proxies;
  std::chrono::milliseconds shutdown_grace{10000};
  std::string public_url;  // where providers reach our webhooks; empty when not reachable
};

struct DatabaseConfig {
  std::string url;
  std::string direct_url;  // sessions: LISTEN, advisory locks (= url unless set)
  int pool_size = 10;
  std::chrono::milliseconds acquire_timeout{5000};
  int connect_timeout_s = 5;
  std::chrono::milliseconds statement_timeout{30000};
  // A connection idle longer than this is pinged before it is handed out, so a server
  // restart is noticed on the next use instead of failing a request.
  std::chrono::milliseconds health_check_idle{1000};
  std::chrono::milliseconds startup_timeout{30000};
  bool migrate_on_start = true;
  bool prepared_statements = true;
};

struct LogConfig {
  std::string level = "info";
  std::string format = "text";  // text | json
};

struct PluginsConfig {
  std::vector<std::string> dirs;  // absolute, resolved against the config file's directory
  std::chrono::milliseconds call_timeout{30000};
  int max_calls_per_tenant = 4;
  // By plugin kind (llm, embedder, channel, ...): a chat completion needs longer than a
  // storage write. A kind not listed uses call_timeout.
  std::map<std::string, std::chrono::milliseconds, std::less<>> kind_timeouts;
  std::chrono::milliseconds init_timeout{10000};
  int max_threads = 64;
  YAML::Node config;  // per-plugin sections, by plugin id
};

struct OutboundHttpConfig {
  std::vector<std::string> allow_hosts;
  bool allow_private = false;
  std::map<std::string, std::string> rewrite;
  std::chrono::milliseconds timeout{15000};
  std::int64_t max_response_bytes = 32 << 20;
};

struct AuthConfig {
  std::string jwt_secret;  // from auth.jwt_secret (${ENV}) or auth.jwt_secret_file
  std::string issuer = "sloth";
  std::string audience = "sloth-api";
  std::chrono::seconds access_ttl{900};
  std::chrono::seconds refresh_ttl{30 * 24 * 3600};
  std::chrono::seconds session_lifetime{30 * 24 * 3600};
  std::chrono::seconds invite_ttl{7 * 24 * 3600};
  std::chrono::milliseconds session_check{1000};
};

struct RateLimitsConfig {
  int anonymous_per_hour = 100;
  int user_per_hour = 1000;
  int login_per_minute_ip = 10;
  int login_per_minute_email = 10;
};

struct JobsConfig {
  bool workers = true;                                                 // run workers in this host
  std::map<std::string, int> queues{{"default", 2}, {"channels", 4}};  // queue -> concurrency
  std::chrono::seconds lease{300};
  std::chrono::milliseconds poll{2000};
  int vacuum_every = 1000;  // jobs run between vacuums of public.jobs; 0 = autovacuum only
  int retention_days = 35;
};

struct ScheduleConfig {
  std::string name, cron, kind, queue;
};

struct SchedulerConfig {
  bool enabled = true;
  std::string timezone = "UTC";
  std::vector<ScheduleConfig> entries;
};

struct SecretsConfig {
  // 32-byte key (64 hex characters) sealing integration credentials; from
  // secrets.master_key (${SLOTH_MASTER_KEY}) or secrets.master_key_file. Development
  // without either uses (and creates) dev_key_file.
  std::string master_key_hex;
  std::string dev_key_file;  // absolute; empty in production
};

struct HostConfig {
  std::string file;
  std::string environment = "development";  // development | production
  std::string plans_file;                   // absolute
  AuthConfig auth;
  RateLimitsConfig rate_limits;
  HttpConfig http;
  DatabaseConfig database;
  LogConfig log;
  PluginsConfig plugins;
  OutboundHttpConfig outbound_http;
  JobsConfig jobs;
  SchedulerConfig scheduler;
  // The sections of concerns, each declared beside its concern (<concern>_config.hpp).
  billing::BillingConfig billing;
  SecretsConfig secrets;
  agent::AgentConfig agent;
  channels::ChannelsConfig channels;
  knowledge::KnowledgeConfig knowledge;
  storage::StorageConfig storage;
  // Deprecated keys that were honoured, to be logged once the logger is set up.
  std::vector<std::string> warnings;
  YAML::Node resolved;  // the whole validated tree, for components that read their own section
};

// The declared schema of host.yaml.
const std::vector<Field>& HostSchema();

// Loads, validates and resolves a host config file. Environment: ${NAME} references, and
// SLOTH_<KEY> overrides of any leaf (SLOTH_HTTP_PORT, SLOTH_DATABASE_URL, ...).
// Throws ConfigError naming the key and line.
HostConfig LoadHostConfig(const std::string& path);

// Same, with an explicit environment (tests).
HostConfig LoadHostConfig(const std::string& path,
                          const std::function<std::optional<std::string>(const std::string&)>& env);

// Parses YAML text rather than a file; `name` is used in messages.
HostConfig ParseHostConfig(
    const std::string& yaml_text, const std::string& name,
    const std::function<std::optional<std::string>(const std::string&)>& env);

}  // namespace sloth::config
