#include "app/host_app.hpp"

#include <cstdlib>
#include <thread>

#include <spdlog/spdlog.h>

#include "accounts/auth_routes.hpp"
#include "billing/subscription_routes.hpp"
#include "billing/usage.hpp"
#include "channels/channel_routes.hpp"
#include "config/yaml_json.hpp"
#include "integrations/integration_routes.hpp"
#include "knowledge/knowledge_routes.hpp"
#include "ops/ops_routes.hpp"
#include "plugins/plugin_routes.hpp"
#include "referrals/referral_routes.hpp"
#include "referrals/referrals.hpp"

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

HostApp::HostApp(config::HostConfig config) : config_(std::move(config)) {
  pool_ = std::make_unique<db::Pool>(PoolOptionsFrom(config_.database));
  migrator_ = std::make_unique<db::Migrator>(*pool_, db::BuiltinMigrations());
  ops::AddRoutes(router_, *pool_, *migrator_, metrics_);

  outbound::Options oo;
  oo.allow_hosts = config_.outbound_http.allow_hosts;
  oo.allow_private = config_.outbound_http.allow_private;
  oo.rewrite = config_.outbound_http.rewrite;
  oo.default_timeout = config_.outbound_http.timeout;
  oo.max_response_bytes = config_.outbound_http.max_response_bytes;
  http_client_ = std::make_unique<outbound::HttpClient>(oo, metrics_);

  plugins::ManagerOptions mo;
  mo.dirs = config_.plugins.dirs;
  mo.call_timeout = config_.plugins.call_timeout;
  mo.init_timeout = config_.plugins.init_timeout;
  mo.max_threads = config_.plugins.max_threads;
  plugins::HostContext hc;
  hc.pool = pool_.get();
  hc.http = http_client_.get();
  hc.metrics = &metrics_;
  hc.plugin_configs = config::YamlToJson(config_.plugins.config);
  if (!hc.plugin_configs.is_object()) hc.plugin_configs = nlohmann::json::object();
  hc.env = [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) return std::string(v);
    return std::nullopt;
  };
  // Events a plugin emits (long polling) enter the same pipeline as webhooks: SLOTH_OK
  // only once they are stored, so the plugin confirms its offset only then.
  hc.emit = [this](plugins::PluginInstance& inst, const std::string& events_json) -> std::int32_t {
    if (!inbound_) return SLOTH_UNAVAILABLE;
    try {
      const auto row = pool_->InTransaction([&](db::Transaction& tx) {
        return integrations::IntegrationRepository().Find(tx, inst.spec().instance_id);
      });
      if (!row) return SLOTH_NOT_FOUND;
      const auto events = nlohmann::json::parse(events_json, nullptr, false);
      if (events.is_discarded()) return SLOTH_INVALID_ARGUMENT;
      inbound_->Store(*row, events);
      return SLOTH_OK;
    } catch (const std::exception& e) {
      spdlog::error("channels: storing events emitted by {} failed: {}", inst.spec().instance_id,
                    e.what());
      return SLOTH_UNAVAILABLE;
    }
  };
  plugins_ = std::make_unique<plugins::PluginManager>(mo, std::move(hc));
  plugins::AddRoutes(router_, *plugins_);

  plans_ = billing::LoadPlans(config_.plans_file);
  accounts::TokenOptions to;
  to.secret = config_.auth.jwt_secret;
  if (to.secret.empty()) {
    // Development only (production refuses this in config): tokens die with the process
    // and are not shared between hosts.
    to.secret = accounts::TokenService::NewOpaqueToken();
    spdlog::warn("auth.jwt_secret is not set: using a random key; tokens end at restart");
  }
  to.issuer = config_.auth.issuer;
  to.audience = config_.auth.audience;
  to.access_ttl = config_.auth.access_ttl;
  tokens_ = std::make_unique<accounts::TokenService>(to);
  api::Limits limits;
  limits.anonymous = {static_cast<double>(config_.rate_limits.anonymous_per_hour),
                      std::chrono::hours(1)};
  limits.user = {static_cast<double>(config_.rate_limits.user_per_hour), std::chrono::hours(1)};
  api_ = std::make_unique<api::Api>(router_, *pool_, *tokens_, limiter_, limits);
  accounts::AccountsOptions ao;
  ao.refresh_ttl = config_.auth.refresh_ttl;
  ao.invite_ttl = config_.auth.invite_ttl;
  ao.login_per_ip = {static_cast<double>(config_.rate_limits.login_per_minute_ip),
                     std::chrono::minutes(1)};
  ao.login_per_email = {static_cast<double>(config_.rate_limits.login_per_minute_email),
                        std::chrono::minutes(1)};
  accounts::AddRoutes(*api_, *migrator_, ao);
  billing::LifecycleOptions lo;
  lo.fallback_plan = config_.billing.fallback_plan;
  lo.past_due_grace = std::chrono::hours(24 * config_.billing.past_due_grace_days);
  lifecycle_ = std::make_unique<billing::Lifecycle>(lo);
  payments_ = std::make_unique<billing::Payments>(*plugins_, config_.billing);
  billing::AddRoutes(*api_, router_, *pool_, *payments_, *lifecycle_);
  referrals::AddRoutes(*api_, config_.http.public_url);

  secret_box_ = crypto::SecretBox::FromConfig(config_.secrets);
  integrations_ = std::make_unique<integrations::IntegrationRuntime>(*plugins_, *secret_box_);
  channels::PollerOptions po;
  po.database_url = config_.database.url;
  po.poll_timeout = config_.channels.poll_timeout;
  po.rescan = config_.channels.poll_rescan;
  poller_ = std::make_unique<channels::Poller>(*pool_, *integrations_, po);
  integrations::AddRoutes(*api_, *integrations_, config_.http.public_url,
                          [this] { poller_->Rescan(); });
  knowledge::KnowledgeOptions ko;
  ko.max_upload_bytes = static_cast<std::size_t>(config_.knowledge.max_upload_bytes);
  ko.storage_plugin = config_.knowledge.storage_plugin;
  ko.embedder_plugin = config_.knowledge.embedder_plugin;
  for (const auto& m : config_.knowledge.embedding_models) {
    knowledge::EmbeddingModel model{m.name, m.plugin, config::YamlToJson(m.config)};
    if (!model.config.is_object()) model.config = nlohmann::json::object();
    ko.embedding_models.push_back(std::move(model));
  }
  ko.vision_plugin = config_.knowledge.vision_plugin;
  ko.chunks = {config_.knowledge.chunk_size, config_.knowledge.chunk_overlap};
  ko.database_url = config_.database.url;
  knowledge_ = std::make_unique<knowledge::KnowledgeService>(*plugins_, ko);
  knowledge::AddRoutes(*api_, *knowledge_);
  inbound_ =
      std::make_unique<channels::Inbound>(*pool_, config_.channels.burst_window,
                                          [this](const std::string& key, const std::string& data) {
                                            knowledge_->StoreBlob(key, data);
                                          });
  channels::AddWebhookRoutes(router_, *pool_, *integrations_, *inbound_);
  channels::AddConversationRoutes(*api_);

  // Cron entries are read in the host's zone; set before any thread starts.
  setenv("TZ", config_.scheduler.timezone.c_str(), 1);
  tzset();
  jobs::WorkerOptions wo;
  wo.queues.clear();
  for (const auto& [name, concurrency] : config_.jobs.queues)
    wo.queues.push_back({name, concurrency});
  wo.lease = config_.jobs.lease;
  wo.poll = config_.jobs.poll;
  jobs_ = std::make_unique<jobs::WorkerPool>(*pool_, config_.database.url, wo, &metrics_);
  const auto retention = std::chrono::hours(24 * config_.jobs.retention_days);
  jobs_->Register("jobs.cleanup", [retention](jobs::JobContext& ctx) {
    const auto n = jobs::JobStore().DeleteFinished(ctx.tx, retention);
    spdlog::info("jobs: cleanup removed {} finished job(s)", n);
  });
  // The periodic work of billing and referrals (scheduled in host.yaml). Each runs in the
  // job's transaction, so its effects commit with its completion, once.
  jobs_->Register("billing.trial_expiry", [this](jobs::JobContext& ctx) {
    spdlog::info("billing: {} trial(s) ended", lifecycle_->ExpireTrials(ctx.tx));
  });
  jobs_->Register("billing.period_rollover", [this](jobs::JobContext& ctx) {
    spdlog::info("billing: {} period(s) rolled over or ended", lifecycle_->RollPeriods(ctx.tx));
  });
  jobs_->Register("billing.usage_check", [](jobs::JobContext& ctx) {
    spdlog::info("billing: {} new usage alert(s)", billing::UsageMeter().CheckAll(ctx.tx));
  });
  jobs_->Register("referrals.stats", [](jobs::JobContext& ctx) {
    spdlog::info("referrals: {} status change(s)",
                 referrals::Referrals().SyncStatus(ctx.tx, std::nullopt));
  });
  jobs_->Register("referrals.rewards", [this](jobs::JobContext& ctx) {
    referrals::Referrals r;
    r.SyncStatus(ctx.tx, std::nullopt);
    spdlog::info("referrals: {} reward(s) granted", r.GrantRewards(ctx.tx, *lifecycle_));
  });
  channel_worker_ = std::make_unique<channels::ChannelWorker>(
      *integrations_, channels::WorkerOptions{config_.channels.limit_reply});
  channel_worker_->Register(*jobs_);
  knowledge_->Register(*jobs_);
  std::vector<jobs::ScheduleEntry> entries;
  for (const auto& e : config_.scheduler.entries) {
    try {
      entries.push_back({e.name, jobs::CronExpr::Parse(e.cron), e.kind, e.queue});
    } catch (const std::invalid_argument& ex) {
      throw config::ConfigError(config_.file + ": key 'scheduler.entries." + e.name +
                                ".cron': " + ex.what());
    }
  }
  scheduler_ = std::make_unique<jobs::Scheduler>(*pool_, std::move(entries));

  http::ServerOptions so;
  so.host = config_.http.host;
  so.port = config_.http.port;
  so.max_body_bytes = config_.http.max_body_bytes;
  so.max_threads = config_.http.max_threads;
  so.max_queued = config_.http.max_queued;
  so.keep_alive_timeout = config_.http.keep_alive_timeout;
  server_ = std::make_unique<http::Server>(so, router_, metrics_);
}

HostApp::~HostApp() {
  Stop();
}

void HostApp::WaitForDatabase() {
  const auto deadline = std::chrono::steady_clock::now() + config_.database.startup_timeout;
  auto backoff = std::chrono::milliseconds(100);
  for (;;) {
    try {
      pool_->Acquire();
      return;
    } catch (const db::ConnectionLost& e) {
      if (std::chrono::steady_clock::now() + backoff > deadline) throw;
      spdlog::warn("database not reachable yet ({}); retrying", e.what());
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(2000));
    }
  }
}

void HostApp::Start() {
  WaitForDatabase();
  if (config_.database.migrate_on_start) {
    const int n = migrator_->MigratePublic();
    const int t = migrator_->MigrateTenants(std::max(1, config_.database.pool_size / 2));
    spdlog::info("migrations: {} public and {} tenant migration(s) applied", n, t);
  }
  billing::SyncPlans(*pool_, plans_);
  plugins_->LoadAll();
  payments_->Start();
  knowledge_->Start();
  pool_->InTransaction([&](db::Transaction& tx) { knowledge_->QueueStaleScan(tx); });
  if (config_.jobs.workers) jobs_->Start();
  if (config_.scheduler.enabled) scheduler_->Start();
  if (config_.channels.polling) poller_->Start();
  server_->Start();
}

void HostApp::Stop() {
  if (stopped_) return;
  stopped_ = true;
  server_->Stop(config_.http.shutdown_grace);
  scheduler_->Stop();
  jobs_->Stop();  // jobs in progress finish; unstarted ones wait in the database
  poller_->Stop();
  knowledge_->Stop();
  payments_->Stop();
  integrations_->StopAll();
  plugins_->Shutdown();
  pool_->Close();
}

}  // namespace sloth::app
