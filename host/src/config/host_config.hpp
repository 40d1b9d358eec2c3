#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/schema.hpp"

namespace sloth::config {

struct HttpConfig {
  std::string host = "0.0.0.0";
  int port = 8080;
  std::int64_t max_body_bytes = 1 << 20;
  int max_threads = 512;
  int max_queued = 1024;
  std::chrono::milliseconds keep_alive_timeout{5000};
  std::chrono::milliseconds shutdown_grace{10000};
  std::string public_url;  // where providers reach our webhooks; empty when not reachable
};

struct DatabaseConfig {
  std::string url;
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
  std::chrono::seconds invite_ttl{7 * 24 * 3600};
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

struct ChannelsConfig {
  std::chrono::milliseconds burst_window{3000};  // messages of one chat answered together
  std::string limit_reply;  // sent instead of an answer when the plan's limit is reached
  bool polling = true;      // run long-poll loops for integrations in polling mode
  std::chrono::milliseconds poll_timeout{10000};
  std::chrono::milliseconds poll_rescan{5000};
};

struct EmbeddingModelConfig {
  std::string name;  // what organisations choose and chunks record
  std::string plugin;
  YAML::Node config;  // over plugins.config.<plugin>
};

struct KnowledgeConfig {
  std::int64_t max_upload_bytes = 20 << 20;
  std::string storage_plugin = "storage-local";
  std::string embedder_plugin = "local-embedder";  // the default model's name
  std::vector<EmbeddingModelConfig> embedding_models;
  std::string vision_plugin;
  std::size_t chunk_size = 1000;
  std::size_t chunk_overlap = 200;
};

struct BillingConfig {
  std::string payment_plugin;  // e.g. "stripe"; empty: checkout is unavailable
  std::string success_url;     // where the provider sends the browser after checkout
  std::string cancel_url;
  int past_due_grace_days = 7;  // past_due this long -> unpaid -> fallback plan
  std::string fallback_plan = "free";
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
  BillingConfig billing;
  SecretsConfig secrets;
  ChannelsConfig channels;
  KnowledgeConfig knowledge;
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
