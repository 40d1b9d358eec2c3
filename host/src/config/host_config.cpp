#include "config/host_config.hpp"

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sloth::config {
namespace {

Field Queues() {
  Field concurrency = Int("concurrency", 1, 1, 256, "workers for this queue");
  Field q = Open("queues", "queue name -> {concurrency}");
  q.children = {concurrency};
  q.default_value = std::nullopt;
  return q;
}

Field Entries() {
  Field cron = Str("cron", std::nullopt, "minute hour day month weekday");
  cron.required = true;
  Field kind = Str("kind", std::nullopt, "job kind to enqueue");
  kind.required = true;
  Field e = Open("entries", "name -> {cron, kind, queue}");
  e.children = {cron, kind, Str("queue", "default", "queue of the job")};
  return e;
}

// The sections of concerns, each declared beside its concern: a new one is a
// <concern>_config.{hpp,cpp} with Schema() and Read(), one row here and a HostConfig member.
struct ConcernSection {
  Field (*schema)();
  void (*read)(const YAML::Node& section, const std::string& file, HostConfig& c);
};

const std::vector<ConcernSection>& ConcernSections() {
  static const std::vector<ConcernSection> sections = {
      {agent::AgentConfig::Schema, [](const YAML::Node& s, const std::string& f,
                                      HostConfig& c) { c.agent = agent::AgentConfig::Read(s, f); }},
      {billing::BillingConfig::Schema,
       [](const YAML::Node& s, const std::string& f, HostConfig& c) {
         c.billing = billing::BillingConfig::Read(s, f);
       }},
      {channels::ChannelsConfig::Schema,
       [](const YAML::Node& s, const std::string& f, HostConfig& c) {
         c.channels = channels::ChannelsConfig::Read(s, f);
       }},
      {knowledge::KnowledgeConfig::Schema,
       [](const YAML::Node& s, const std::string& f, HostConfig& c) {
         c.knowledge = knowledge::KnowledgeConfig::Read(s, f);
       }},
      {storage::StorageConfig::Schema,
       [](const YAML::Node& s, const std::string& f, HostConfig& c) {
         c.storage = storage::StorageConfig::Read(s, f);
       }},
  };
  return sections;
}

std::vector<Field> BuildSchema() {
  Field url = Str("url", std::nullopt, "libpq connection URI of the PostgreSQL database");
  url.required = true;
  url.secret = true;
  Field secret = Str("jwt_secret", "", "HMAC key for access tokens (>= 32 bytes); use ${ENV}");
  secret.secret = true;
  Field master_key =
      Str("master_key", "", "64 hex characters sealing integration credentials; use ${ENV}");
  master_key.secret = true;
  return {
      Str("environment", "development", "production refuses insecure defaults",
          {"development", "production"}),
      Str("plans_file", "plans.yaml", "the plan catalogue, relative to this file"),
      Section(
          "auth",
          {secret, Str("jwt_secret_file", "", "file holding the HMAC key (alternative)"),
           Str("issuer", "sloth", "iss of access tokens"),
           Str("audience", "sloth-api", "aud of access tokens"),
           Int("access_ttl_s", 900, 60, 86400, "access token lifetime"),
           Int("refresh_ttl_s", 30 * 24 * 3600, 3600, 365 * 24 * 3600, "refresh token lifetime"),
           Int("session_lifetime_s", 30 * 24 * 3600, 3600, 365 * 24 * 3600,
               "a login's session ends this long after it began, however often refreshed"),
           Int("invite_ttl_s", 7 * 24 * 3600, 3600, 90 * 24 * 3600, "invitation lifetime"),
           Int("session_check_ms", 1000, 0, 1000,
               "a session found live is not asked of the database again for this long, so a "
               "deactivation or logout on another host is refused within it (0: every request)")},
          "authentication"),
      Section("rate_limits",
              {Int("anonymous_per_hour", 100, 1, 1000000000, "per IP, without a token"),
               Int("user_per_hour", 1000, 1, 1000000000, "per signed-in user"),
               Int("login_per_minute_ip", 10, 1, 1000000, "login attempts per IP"),
               Int("login_per_minute_email", 10, 1, 1000000, "login attempts per email")},
              "request rate limits (token buckets)"),
      Section(
          "http",
          {Str("host", "0.0.0.0", "address to bind"),
           Int("port", 8080, 0, 65535, "TCP port; 0 picks a free one"),
           Int("max_body_bytes", 1 << 20, 1, std::int64_t{1} << 32,
               "largest request body accepted; larger gets 413"),
           // Poco serves each connection on one thread, and an idle keep-alive connection
           // keeps its thread: the thread count, not CPU, bounds concurrent clients.
           Int("max_threads", 512, 1, 8192, "request worker threads (= concurrent connections)"),
           Int("max_queued", 1024, 1, 100000, "accepted connections waiting for a worker"),
           Int("keep_alive_timeout_ms", 5000, 100, 600000, "idle keep-alive timeout"),
           Int("header_timeout_ms", 10000, 100, 600000,
               "a request head must arrive within this (after the keep-alive wait)"),
           Int("body_timeout_ms", 60000, 100, 3600000,
               "a request body must arrive within this of its head"),
           List("trusted_proxies", "[]",
                "load balancers (addresses or CIDR) whose X-Forwarded-For names the client"),
           Int("shutdown_grace_ms", 10000, 0, 600000,
               "how long in-flight requests may finish after SIGTERM"),
           Str("public_url", "", "public base URL of this host (webhooks)")},
          "HTTP server"),
      Section("database",
              {url,
               Str("direct_url", "",
                   "a connection string reaching PostgreSQL itself, not through PgBouncer in "
                   "transaction mode, for what lives on a session: LISTEN (jobs, index "
                   "changes) and polling locks; empty = url"),
               Int("pool_size", 10, 1, 1000, "pooled connections"),
               Int("acquire_timeout_ms", 5000, 1, 600000, "wait for a free connection"),
               Int("connect_timeout_s", 5, 1, 600, "libpq connect_timeout"),
               Int("statement_timeout_ms", 30000, 0, 86400000, "0 disables"),
               Int("health_check_idle_ms", 1000, 0, 3600000,
                   "ping a connection idle longer than this before use"),
               Int("startup_timeout_ms", 30000, 0, 3600000,
                   "how long start-up waits for the database to accept connections"),
               Bool("migrate_on_start", true, "apply pending migrations at start-up"),
               Bool("prepared_statements", true,
                    "prepare statements once per connection; false behind PgBouncer < 1.21 in "
                    "transaction mode")},
              "PostgreSQL"),
      Section(
          "plugins",
          {List("dirs", "[]", "directories holding plugin folders (plugin.json + library)"),
           Int("call_timeout_ms", 30000, 1, 3600000, "timeout of every call into a plugin"),
           Section("call_timeouts_ms",
                   {Int("channel", 0, 0, 3600000, "send, webhook, connect, poll"),
                    Int("llm", 120000, 0, 3600000, "a chat completion (tools, long answers)"),
                    Int("embedder", 0, 0, 3600000, "a batch of embeddings"),
                    Int("vision", 0, 0, 3600000, "one image analysed"),
                    Int("calendar", 0, 0, 3600000, "free/busy and event changes"),
                    Int("storage", 0, 0, 3600000, "a blob or a part of one"),
                    Int("payment", 0, 0, 3600000, "checkout, cancel, webhook")},
                   "per plugin kind; 0 = call_timeout_ms"),
           Int("init_timeout_ms", 10000, 1, 600000, "timeout of a plugin's descriptor and init"),
           Int("max_threads", 64, 1, 4096, "threads for calls into plugins"),
           Int("max_calls_per_tenant", 4, 1, 1000,
               "provider calls one organisation's requests may have in flight at once"),
           Open("config", "per-plugin settings, by plugin id (host->plugin_config)")},
          "plugin loading"),
      Section("outbound_http",
              {List("allow_hosts", "[]",
                    "hosts plugins may call (\"*.example.com\" allowed); empty = any public host"),
               Bool("allow_private", false, "allow private and loopback addresses"),
               Open("rewrite", "base URL -> replacement (tests, proxies)"),
               Int("timeout_ms", 15000, 1, 600000, "default outbound request timeout"),
               Int("max_response_bytes", 32 << 20, 1, std::int64_t{1} << 32,
                   "largest response body accepted")},
              "outbound HTTP of plugins"),
      Section(
          "jobs",
          {Bool("workers", true, "run job workers in this host"), Queues(),
           Int("lease_s", 300, 5, 86400,
               "a claimed job returns to the queue if not finished in time"),
           Int("poll_ms", 2000, 50, 600000, "poll interval when no notification arrives"),
           Int("vacuum_every", 1000, 0, 100000000,
               "vacuum the jobs table after this many jobs run by this host (0: autovacuum only)"),
           Int("retention_days", 35, 1, 3650, "finished jobs kept (longer than any cron period)")},
          "the PostgreSQL job queue"),
      Section("scheduler",
              {Bool("enabled", true, "enqueue periodic jobs from this host"),
               Str("timezone", "UTC", "time zone of the cron entries (IANA name)"), Entries()},
              "periodic jobs"),
      Section("secrets",
              {master_key, Str("master_key_file", "", "file holding the master key (alternative)")},
              "encryption of integration credentials at rest"),
      Section("log",
              {Str("level", "info", "minimum level",
                   {"trace", "debug", "info", "warn", "error", "critical", "off"}),
               Str("format", "text", "text lines or JSON lines", {"text", "json"})},
              "logging"),
  };
}

std::optional<std::string> ProcessEnv(const std::string& name) {
  if (const char* v = std::getenv(name.c_str())) return std::string(v);
  return std::nullopt;
}

}  // namespace

const std::vector<Field>& HostSchema() {
  static const std::vector<Field> schema = [] {
    auto fields = BuildSchema();
    for (const auto& s : ConcernSections()) fields.push_back(s.schema());
    return fields;
  }();
  return schema;
}

HostConfig ParseHostConfig(
    const std::string& yaml_text, const std::string& name,
    const std::function<std::optional<std::string>(const std::string&)>& env) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(name + ":" + std::to_string(e.mark.line + 1) + ":" +
                      std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
  }
  if (root && !root.IsNull() && !root.IsMap()) {
    throw ConfigError(name + ": the top level must be a mapping");
  }
  // DATABASE_URL is the conventional name; honour it as the override of database.url.
  auto lookup = [&](const std::string& var) -> std::optional<std::string> {
    if (auto v = env(var)) return v;
    if (var == "SLOTH_DATABASE_URL") return env("DATABASE_URL");
    return std::nullopt;
  };
  YAML::Node r = Resolve(root, HostSchema(), name, lookup, "SLOTH_");

  HostConfig c;
  c.file = name;
  c.resolved = r;
  c.http.host = r["http"]["host"].as<std::string>();
  c.http.port = r["http"]["port"].as<int>();
  c.http.max_body_bytes = r["http"]["max_body_bytes"].as<std::int64_t>();
  c.http.max_threads = r["http"]["max_threads"].as<int>();
  c.http.max_queued = r["http"]["max_queued"].as<int>();
  c.http.keep_alive_timeout =
      std::chrono::milliseconds(r["http"]["keep_alive_timeout_ms"].as<std::int64_t>());
  c.http.header_timeout =
      std::chrono::milliseconds(r["http"]["header_timeout_ms"].as<std::int64_t>());
  c.http.body_timeout = std::chrono::milliseconds(r["http"]["body_timeout_ms"].as<std::int64_t>());
  for (const auto& p : r["http"]["trusted_proxies"]) {
    try {
      c.http.trusted_proxies.push_back(http::ParseCidr(p.as<std::string>()));
    } catch (const std::invalid_argument& e) {
      throw ConfigError(name + ": key 'http.trusted_proxies': " + e.what());
    }
  }
  c.http.shutdown_grace =
      std::chrono::milliseconds(r["http"]["shutdown_grace_ms"].as<std::int64_t>());
  c.http.public_url = r["http"]["public_url"].as<std::string>();
  const auto db = r["database"];
  c.database.url = db["url"].as<std::string>();
  c.database.direct_url = db["direct_url"].as<std::string>();
  if (c.database.direct_url.empty()) c.database.direct_url = c.database.url;
  c.database.pool_size = db["pool_size"].as<int>();
  c.database.acquire_timeout =
      std::chrono::milliseconds(db["acquire_timeout_ms"].as<std::int64_t>());
  c.database.connect_timeout_s = db["connect_timeout_s"].as<int>();
  c.database.statement_timeout =
      std::chrono::milliseconds(db["statement_timeout_ms"].as<std::int64_t>());
  c.database.health_check_idle =
      std::chrono::milliseconds(db["health_check_idle_ms"].as<std::int64_t>());
  c.database.startup_timeout =
      std::chrono::milliseconds(db["startup_timeout_ms"].as<std::int64_t>());
  c.database.migrate_on_start = db["migrate_on_start"].as<bool>();
  c.database.prepared_statements = db["prepared_statements"].as<bool>();
  const auto base = std::filesystem::absolute(std::filesystem::path(name)).parent_path();
  c.environment = r["environment"].as<std::string>();
  {
    const std::filesystem::path p(r["plans_file"].as<std::string>());
    c.plans_file = (p.is_absolute() ? p : (base / p).lexically_normal()).string();
  }
  const auto auth = r["auth"];
  c.auth.jwt_secret = auth["jwt_secret"].as<std::string>();
  if (const auto file = auth["jwt_secret_file"].as<std::string>(); !file.empty()) {
    std::ifstream in(file);
    if (!in) throw ConfigError(name + ": key 'auth.jwt_secret_file': cannot read " + file);
    std::stringstream ss;
    ss << in.rdbuf();
    c.auth.jwt_secret = ss.str();
    while (!c.auth.jwt_secret.empty() &&
           std::isspace(static_cast<unsigned char>(c.auth.jwt_secret.back()))) {
      c.auth.jwt_secret.pop_back();
    }
  }
  if (!c.auth.jwt_secret.empty() && c.auth.jwt_secret.size() < 32) {
    throw ConfigError(name + ": key 'auth.jwt_secret': must be at least 32 bytes");
  }
  if (c.environment == "production" && c.auth.jwt_secret.empty()) {
    throw ConfigError(name +
                      ": key 'auth.jwt_secret': required in production (set SLOTH_AUTH_JWT_SECRET "
                      "or auth.jwt_secret_file)");
  }
  const auto secrets = r["secrets"];
  c.secrets.master_key_hex = secrets["master_key"].as<std::string>();
  if (const auto file = secrets["master_key_file"].as<std::string>(); !file.empty()) {
    std::ifstream in(file);
    if (!in) throw ConfigError(name + ": key 'secrets.master_key_file': cannot read " + file);
    in >> c.secrets.master_key_hex;
  }
  if (!c.secrets.master_key_hex.empty() &&
      (c.secrets.master_key_hex.size() != 64 ||
       c.secrets.master_key_hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)) {
    throw ConfigError(name + ": key 'secrets.master_key': must be 64 hex characters (32 bytes)");
  }
  if (c.secrets.master_key_hex.empty()) {
    if (c.environment == "production") {
      throw ConfigError(name +
                        ": key 'secrets.master_key': required in production (set "
                        "SLOTH_MASTER_KEY or secrets.master_key_file)");
    }
    c.secrets.dev_key_file = (base / ".." / ".data" / "master.key").lexically_normal().string();
  }
  c.auth.issuer = auth["issuer"].as<std::string>();
  c.auth.audience = auth["audience"].as<std::string>();
  c.auth.access_ttl = std::chrono::seconds(auth["access_ttl_s"].as<std::int64_t>());
  c.auth.refresh_ttl = std::chrono::seconds(auth["refresh_ttl_s"].as<std::int64_t>());
  c.auth.session_lifetime = std::chrono::seconds(auth["session_lifetime_s"].as<std::int64_t>());
  c.auth.invite_ttl = std::chrono::seconds(auth["invite_ttl_s"].as<std::int64_t>());
  c.auth.session_check = std::chrono::milliseconds(auth["session_check_ms"].as<std::int64_t>());
  const auto rl = r["rate_limits"];
  c.rate_limits.anonymous_per_hour = rl["anonymous_per_hour"].as<int>();
  c.rate_limits.user_per_hour = rl["user_per_hour"].as<int>();
  c.rate_limits.login_per_minute_ip = rl["login_per_minute_ip"].as<int>();
  c.rate_limits.login_per_minute_email = rl["login_per_minute_email"].as<int>();
  const auto plugins = r["plugins"];
  for (const auto& d : plugins["dirs"]) {
    const std::filesystem::path p(d.as<std::string>());
    c.plugins.dirs.push_back((p.is_absolute() ? p : (base / p).lexically_normal()).string());
  }
  c.plugins.call_timeout = std::chrono::milliseconds(plugins["call_timeout_ms"].as<std::int64_t>());
  for (const auto& kv : plugins["call_timeouts_ms"]) {
    if (const auto ms = kv.second.as<std::int64_t>(); ms > 0)
      c.plugins.kind_timeouts[kv.first.as<std::string>()] = std::chrono::milliseconds(ms);
  }
  c.plugins.init_timeout = std::chrono::milliseconds(plugins["init_timeout_ms"].as<std::int64_t>());
  c.plugins.max_threads = plugins["max_threads"].as<int>();
  c.plugins.max_calls_per_tenant = plugins["max_calls_per_tenant"].as<int>();
  c.plugins.config = plugins["config"];
  const auto out = r["outbound_http"];
  for (const auto& h : out["allow_hosts"])
    c.outbound_http.allow_hosts.push_back(h.as<std::string>());
  c.outbound_http.allow_private = out["allow_private"].as<bool>();
  for (const auto& kv : out["rewrite"]) {
    if (!kv.second.IsScalar()) {
      throw ConfigError(name + ": key 'outbound_http.rewrite." + kv.first.as<std::string>() +
                        "': expected a URL string");
    }
    c.outbound_http.rewrite[kv.first.as<std::string>()] = kv.second.as<std::string>();
  }
  c.outbound_http.timeout = std::chrono::milliseconds(out["timeout_ms"].as<std::int64_t>());
  c.outbound_http.max_response_bytes = out["max_response_bytes"].as<std::int64_t>();
  const auto jobs = r["jobs"];
  c.jobs.workers = jobs["workers"].as<bool>();
  if (jobs["queues"].size() > 0) {
    c.jobs.queues.clear();
    for (const auto& kv : jobs["queues"]) {
      c.jobs.queues[kv.first.as<std::string>()] = kv.second["concurrency"].as<int>();
    }
  }
  c.jobs.lease = std::chrono::seconds(jobs["lease_s"].as<std::int64_t>());
  c.jobs.poll = std::chrono::milliseconds(jobs["poll_ms"].as<std::int64_t>());
  c.jobs.vacuum_every = jobs["vacuum_every"].as<int>();
  c.jobs.retention_days = jobs["retention_days"].as<int>();
  const auto sched = r["scheduler"];
  c.scheduler.enabled = sched["enabled"].as<bool>();
  c.scheduler.timezone = sched["timezone"].as<std::string>();
  if (c.scheduler.timezone != "UTC" &&
      !std::filesystem::exists("/usr/share/zoneinfo/" + c.scheduler.timezone)) {
    throw ConfigError(name + ": key 'scheduler.timezone': unknown time zone '" +
                      c.scheduler.timezone + "'");
  }
  for (const auto& kv : sched["entries"]) {
    c.scheduler.entries.push_back({kv.first.as<std::string>(), kv.second["cron"].as<std::string>(),
                                   kv.second["kind"].as<std::string>(),
                                   kv.second["queue"].as<std::string>()});
  }
  for (const auto& s : ConcernSections()) {
    const auto key = s.schema().name;
    s.read(r[key], name, c);
  }
  if (!c.knowledge.storage_plugin.empty()) {
    if (r["storage"]["plugin"] && !r["storage"]["plugin"].IsNull()) {
      c.warnings.push_back(name +
                           ": key 'knowledge.storage_plugin' is deprecated and ignored: "
                           "storage.plugin is set");
    } else {
      c.storage.plugin = c.knowledge.storage_plugin;
      c.warnings.push_back(name +
                           ": key 'knowledge.storage_plugin' is deprecated: use "
                           "storage.plugin");
    }
  }
  c.log.level = r["log"]["level"].as<std::string>();
  c.log.format = r["log"]["format"].as<std::string>();
  return c;
}

HostConfig LoadHostConfig(
    const std::string& path,
    const std::function<std::optional<std::string>(const std::string&)>& env) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot read the config file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseHostConfig(ss.str(), path, env);
}

HostConfig LoadHostConfig(const std::string& path) {
  return LoadHostConfig(path, ProcessEnv);
}

}  // namespace sloth::config
