#include "app/host_app.hpp"

#include <thread>

#include <spdlog/spdlog.h>

#include "accounts/auth_routes.hpp"
#include "agent/agent_routes.hpp"
#include "api/openapi_routes.hpp"
#include "app/component_options.hpp"
#include "billing/billing_jobs.hpp"
#include "billing/subscription_routes.hpp"
#include "booking/booking_routes.hpp"
#include "booking/booking_tools.hpp"
#include "booking/calendar_sync.hpp"
#include "booking/reminders.hpp"
#include "integrations/integration_routes.hpp"
#include "integrations/oauth_routes.hpp"
#include "integrations/plan_gate.hpp"
#include "knowledge/knowledge_routes.hpp"
#include "ops/ops_routes.hpp"
#include "plugins/plugin_routes.hpp"
#include "referrals/referral_jobs.hpp"
#include "referrals/referral_routes.hpp"
#include "referrals/referrals.hpp"

namespace sloth::app {

HostApp::HostApp(config::HostConfig config) : config_(std::move(config)) {
  const auto& c = config_;
  for (const auto& w : c.warnings) spdlog::warn("{}", w);

  // Foundation.
  pool_ = std::make_unique<db::Pool>(PoolOptionsFrom(c.database));
  migrator_ = std::make_unique<db::Migrator>(*pool_, db::BuiltinMigrations());
  if (c.database.direct_url != c.database.url)
    migrator_->UseSessionUrl(c.database.direct_url, c.database.connect_timeout_s);
  http_client_ =
      std::make_unique<outbound::HttpClient>(OutboundOptionsFrom(c.outbound_http), metrics_);
  plugins_ = std::make_unique<plugins::PluginManager>(
      ManagerOptionsFrom(c.plugins), HostContextFrom(c, *pool_, *http_client_, metrics_));
  tokens_ = std::make_unique<accounts::TokenService>(TokenOptionsFrom(c.auth));
  api_ = std::make_unique<api::Api>(router_, *pool_, *tokens_, limiter_,
                                    LimitsFrom(c.rate_limits, c.auth));
  jobs_ = std::make_unique<jobs::WorkerPool>(*pool_, c.database.direct_url,
                                             WorkerOptionsFrom(c.jobs), &metrics_);
  scheduler_ = std::make_unique<jobs::Scheduler>(*pool_, ScheduleFrom(c), std::chrono::seconds(20),
                                                 c.scheduler.timezone);

  // Concerns.
  plans_ = billing::LoadPlans(c.plans_file);
  lifecycle_ = std::make_unique<billing::Lifecycle>(LifecycleOptionsFrom(c.billing));
  lifecycle_->OnChange(referrals::OnSubscriptionChange);
  lifecycle_->OnChange(integrations::OnPlanChange);
  payments_ = std::make_unique<billing::Payments>(*plugins_, c.billing);
  secret_box_ = crypto::SecretBox::FromKey(c.secrets.master_key_hex, c.secrets.dev_key_file);
  integrations_ = std::make_unique<integrations::IntegrationRuntime>(*plugins_, *secret_box_);
  storage_ = std::make_unique<storage::BlobStore>(*plugins_, c.storage.plugin);
  knowledge_ = std::make_unique<knowledge::Knowledge>(*pool_, *plugins_, *storage_,
                                                      c.knowledge.Options(c.database.direct_url));
  agent_ = std::make_unique<agent::Agent>(*pool_, *plugins_, knowledge_->retriever(), c.agent);
  bookings_ = std::make_unique<booking::Bookings>(*pool_);
  booking::RegisterTools(agent_->tools(), *bookings_);
  calendar_sync_ = std::make_unique<booking::CalendarSync>(*pool_, *integrations_);
  bookings_->OnChange([sync = calendar_sync_.get()](db::Transaction& tx, std::int64_t tenant,
                                                    const booking::Booking& b) {
    sync->QueuePush(tx, tenant, b.id);
  });
  bookings_->OnChange(&booking::Reminders::Schedule);
  reminders_ = std::make_unique<booking::Reminders>(*pool_, *bookings_);
  channels_ =
      std::make_unique<channels::Channels>(*pool_, *integrations_, *storage_, *agent_, c.channels,
                                           c.agent.watermark, c.database.direct_url);
  channels_->RouteCallbacks(booking::Reminders::kCallbackPrefix, booking::Reminders::kReplyJob);

  // Routes.
  ops::AddRoutes(router_, *pool_, *migrator_, metrics_);
  api::AddDocsRoutes(router_, c.http.public_url);
  plugins::AddRoutes(router_, *plugins_);
  accounts::AddRoutes(*api_, *migrator_, AccountsOptionsFrom(c));
  billing::AddRoutes(*api_, *pool_, *payments_, *lifecycle_);
  referrals::AddRoutes(*api_, c.http.public_url);
  integrations::AddRoutes(*api_, *integrations_, c.http.public_url,
                          std::bind(&channels::Channels::Rescan, channels_.get()));
  integrations::AddOAuthRoutes(*api_, *pool_, *integrations_, c.http.public_url);
  knowledge::AddRoutes(*api_, *knowledge_, plugins_->tenant_calls());
  agent::AddRoutes(*api_, *agent_, c.channels.limit_reply, plugins_->tenant_calls());
  booking::AddRoutes(*api_, *bookings_);
  channels_->AddRoutes(*api_);

  // Jobs.
  jobs_->RegisterCleanup(std::chrono::hours(24 * c.jobs.retention_days));
  billing::RegisterJobs(*jobs_, *lifecycle_);
  referrals::RegisterJobs(*jobs_, *lifecycle_);
  channels_->Register(*jobs_);
  knowledge_->Register(*jobs_);
  agent_->Register(*jobs_);
  calendar_sync_->Register(*jobs_);
  reminders_->Register(*jobs_);

  server_ = std::make_unique<http::Server>(ServerOptionsFrom(c.http), router_, metrics_);
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
  storage_->Start();
  knowledge_->Start();
  agent_->Start();
  if (config_.jobs.workers) jobs_->Start();
  if (config_.scheduler.enabled) scheduler_->Start();
  channels_->Start();
  server_->Start();
}

void HostApp::Stop() {
  if (stopped_) return;
  stopped_ = true;
  server_->Stop(config_.http.shutdown_grace);
  scheduler_->Stop();
  jobs_->Stop();  // jobs in progress finish; unstarted ones wait in the database
  channels_->Stop();
  agent_->Stop();
  knowledge_->Stop();
  storage_->Stop();
  payments_->Stop();
  integrations_->StopAll();
  plugins_->Shutdown();
  pool_->Close();
}

}  // namespace sloth::app
