#include "channels/media_retention.hpp"

#include <spdlog/spdlog.h>

#include "billing/usage.hpp"
#include "conversations/conversation_repository.hpp"
#include "jobs/job_queue.hpp"
#include "tenants/tenant_repository.hpp"

namespace sloth::channels {

using conversations::ConversationRepository;

void MediaRetention::Register(jobs::WorkerPool& jobs) {
  jobs.Register("channels.media_cleanup_scan", [this](jobs::JobContext& ctx) {
    for (const auto& t : tenants::TenantRepository::Ids(ctx.tx)) {
      jobs::EnqueueOptions o;
      o.tenant_id = t.value;
      jobs::Enqueue(ctx.tx, "channels.media_cleanup", nlohmann::json::object(), o);
    }
  });
  jobs.RegisterStaged("channels.media_cleanup",
                      [this](jobs::StagedJobContext& ctx) { Cleanup(ctx); });
}

void MediaRetention::Cleanup(jobs::StagedJobContext& ctx) {
  if (!ctx.job.tenant_id) return;
  const std::int64_t tenant = *ctx.job.tenant_id;
  const auto expired = ctx.Read([&](db::Transaction& tx) {
    return ConversationRepository().ExpiredMedia(tx, retention_days_, kBatch);
  });
  std::vector<std::int64_t> gone;
  std::int64_t megabytes = 0;
  for (const auto& m : expired) {
    try {
      blobs_.Remove(m.storage_key);
    } catch (const std::exception& e) {
      spdlog::warn("channels: expired photo {} not removed (next run retries): {}", m.storage_key,
                   e.what());
      continue;
    }
    gone.push_back(m.event_id);
    megabytes += billing::MegabytesOf(m.size_bytes);
  }
  ctx.Finish([&](db::Transaction& tx) {
    ConversationRepository().ForgetMedia(tx, gone);
    if (megabytes > 0) billing::UsageMeter().Release(tx, tenant, "storage_mb", megabytes);
    if (expired.size() == static_cast<std::size_t>(kBatch)) {  // more: the next batch
      jobs::EnqueueOptions o;
      o.tenant_id = tenant;
      jobs::Enqueue(tx, "channels.media_cleanup", nlohmann::json::object(), o);
    }
  });
  if (!gone.empty())
    spdlog::info("channels: tenant {}: {} expired client photo(s) removed", tenant, gone.size());
}

}  // namespace sloth::channels
