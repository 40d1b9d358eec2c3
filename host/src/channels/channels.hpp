#pragma once

// The channels concern as one component: inbound events (webhooks and long polls) stored
// and answered by the worker, replies sent through the channel plugins. Built from the
// `channels` config section; it consumes the events plugins emit (long polling) and keeps
// the photos clients send in the platform's storage.

#include <cstdint>
#include <functional>
#include <string>

#include "api/api.hpp"
#include "channels/channel_worker.hpp"
#include "channels/channels_config.hpp"
#include "channels/inbound.hpp"
#include "channels/media_retention.hpp"
#include "channels/poller.hpp"
#include "integrations/integration_runtime.hpp"
#include "jobs/worker_pool.hpp"
#include "storage/blob_store.hpp"

namespace sloth::channels {

class Channels {
 public:
  // `database_url`: direct connections for the pollers' advisory locks.
  // `watermark`: the line added to replies on plans with watermark: true.
  Channels(db::Pool& pool, integrations::IntegrationRuntime& runtime, storage::BlobStore& blobs,
           agent::Agent& agent, const ChannelsConfig& config, const std::string& watermark,
           const std::string& database_url);
  ~Channels() { Stop(); }

  void Register(jobs::WorkerPool& jobs) {
    worker_.Register(jobs);
    media_.Register(jobs);
  }
  // See ChannelWorker::RouteCallbacks.
  void RouteCallbacks(const std::string& prefix, const std::string& kind) {
    worker_.RouteCallbacks(prefix, kind);
  }
  // /hooks/{plugin}/{integration} and /api/conversations (with handoff and staff replies).
  void AddRoutes(api::Api& api);
  void Start();  // the pollers, when channels.polling
  void Stop();
  // Looks for new or removed polling integrations now (after a connect or disconnect).
  void Rescan() { poller_.Rescan(); }
  // Polling integrations this host polls.
  std::size_t polling() const { return poller_.claimed(); }
  // Group commits of inbound deliveries: (groups written, deliveries in them).
  std::pair<std::size_t, std::size_t> inbound_groups() const { return inbound_.GroupCounts(); }

  // Events a plugin emitted (long polling) enter the same pipeline as webhooks; SLOTH_OK
  // only once they are stored, so the plugin confirms its offset only then.
  std::int32_t Emit(plugins::PluginInstance& instance, const std::string& events_json);

 private:
  db::Pool& pool_;
  integrations::IntegrationRuntime& runtime_;
  bool polling_;
  Inbound inbound_;
  ChannelWorker worker_;
  MediaRetention media_;
  Poller poller_;
};

}  // namespace sloth::channels
