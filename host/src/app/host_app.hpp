#pragma once

#include <memory>

#include "accounts/tokens.hpp"
#include "agent/agent.hpp"
#include "api/api.hpp"
#include "billing/payments.hpp"
#include "billing/plan_catalog.hpp"
#include "billing/subscription_lifecycle.hpp"
#include "booking/bookings.hpp"
#include "booking/calendar_sync.hpp"
#include "booking/reminders.hpp"
#include "channels/channels.hpp"
#include "config/host_config.hpp"
#include "crypto/secret_box.hpp"
#include "db/migrations.hpp"
#include "db/pool.hpp"
#include "http/rate_limiter.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "integrations/integration_runtime.hpp"
#include "jobs/scheduler.hpp"
#include "jobs/worker_pool.hpp"
#include "knowledge/knowledge.hpp"
#include "metrics/metrics.hpp"
#include "outbound/http_client.hpp"
#include "plugins/plugin_manager.hpp"
#include "storage/blob_store.hpp"

namespace sloth::app {

// The composition root: the host's components, each built from its config section and
// the components it depends on (passed explicitly), in dependency order, and torn down in
// reverse. main() only parses arguments and waits for a signal.
class HostApp {
 public:
  explicit HostApp(config::HostConfig config);
  ~HostApp();

  // Waits for the database (up to database.startup_timeout_ms), applies migrations when
  // configured, starts the plugins, workers and pollers, binds the HTTP port. Throws on
  // any failure.
  void Start();
  // Stops accepting, finishes in-flight requests, closes the pool.
  void Stop();

  int port() const { return server_->port(); }
  db::Pool& pool() { return *pool_; }
  db::Migrator& migrator() { return *migrator_; }
  http::Router& router() { return router_; }
  metrics::Registry& metrics() { return metrics_; }
  plugins::PluginManager& plugins() { return *plugins_; }
  const accounts::TokenService& tokens() const { return *tokens_; }
  jobs::WorkerPool& jobs() { return *jobs_; }
  jobs::Scheduler& scheduler() { return *scheduler_; }
  const config::HostConfig& config() const { return config_; }
  billing::Lifecycle& lifecycle() { return *lifecycle_; }
  integrations::IntegrationRuntime& integrations() { return *integrations_; }
  storage::BlobStore& storage() { return *storage_; }
  knowledge::Knowledge& knowledge() { return *knowledge_; }
  channels::Channels& channels() { return *channels_; }
  agent::Agent& agent() { return *agent_; }
  const crypto::SecretBox& secret_box() const { return *secret_box_; }

 private:
  void WaitForDatabase();

  config::HostConfig config_;
  // Foundation.
  metrics::Registry metrics_;
  std::unique_ptr<db::Pool> pool_;
  std::unique_ptr<db::Migrator> migrator_;
  std::unique_ptr<outbound::HttpClient> http_client_;
  std::unique_ptr<plugins::PluginManager> plugins_;
  std::unique_ptr<accounts::TokenService> tokens_;
  http::RateLimiter limiter_;
  http::Router router_;
  std::unique_ptr<api::Api> api_;
  std::unique_ptr<jobs::WorkerPool> jobs_;
  std::unique_ptr<jobs::Scheduler> scheduler_;
  // Concerns.
  std::vector<billing::Plan> plans_;
  std::unique_ptr<billing::Lifecycle> lifecycle_;
  std::unique_ptr<billing::Payments> payments_;
  std::unique_ptr<crypto::SecretBox> secret_box_;
  std::unique_ptr<integrations::IntegrationRuntime> integrations_;
  std::unique_ptr<storage::BlobStore> storage_;
  std::unique_ptr<knowledge::Knowledge> knowledge_;
  std::unique_ptr<agent::Agent> agent_;
  std::unique_ptr<booking::Bookings> bookings_;
  std::unique_ptr<booking::CalendarSync> calendar_sync_;
  std::unique_ptr<booking::Reminders> reminders_;
  std::unique_ptr<channels::Channels> channels_;
  std::unique_ptr<http::Server> server_;
  bool stopped_ = false;
};

}  // namespace sloth::app
