#include "channels/channels.hpp"

#include <spdlog/spdlog.h>

#include "channels/channel_routes.hpp"

namespace sloth::channels {

Channels::Channels(db::Pool& pool, integrations::IntegrationRuntime& runtime,
                   storage::BlobStore& blobs, agent::Agent& agent, const ChannelsConfig& config,
                   const std::string& watermark, const std::string& database_url)
    : pool_(pool),
      runtime_(runtime),
      polling_(config.polling),
      inbound_(pool, config.burst_window, blobs),
      worker_(runtime, agent, WorkerOptions{config.limit_reply, watermark}),
      media_(blobs, config.media_retention_days),
      poller_(pool, runtime,
              PollerOptions{database_url, config.poll_timeout, config.poll_rescan,
                            config.poll_threads}) {
  runtime.plugins().SetEventConsumer(
      [this](plugins::PluginInstance& inst, const std::string& events) {
        return Emit(inst, events);
      });
}

void Channels::AddRoutes(api::Api& api) {
  AddWebhookRoutes(api, pool_, runtime_, inbound_);
  AddConversationRoutes(api);
}

void Channels::Start() {
  if (polling_) poller_.Start();
}

void Channels::Stop() {
  poller_.Stop();
}

std::int32_t Channels::Emit(plugins::PluginInstance& inst, const std::string& events_json) {
  try {
    const auto row = pool_.InTransaction([&](db::Transaction& tx) {
      return integrations::IntegrationRepository().Find(tx, inst.spec().instance_id);
    });
    if (!row) return SLOTH_NOT_FOUND;
    const auto events = nlohmann::json::parse(events_json, nullptr, false);
    if (events.is_discarded()) return SLOTH_INVALID_ARGUMENT;
    inbound_.Store(*row, events);
    return SLOTH_OK;
  } catch (const std::exception& e) {
    spdlog::error("channels: storing events emitted by {} failed: {}", inst.spec().instance_id,
                  e.what());
    return SLOTH_UNAVAILABLE;
  }
}

}  // namespace sloth::channels
