#pragma once

// The photos clients send are kept for channels.media_retention_days, then removed from
// storage and given back to the organisation's storage quota; the messages keep their
// text and note that the photo expired.
//   channels.media_cleanup_scan   queues the cleanup of every organisation with old photos
//   channels.media_cleanup        one organisation: a batch of expired photos, then again

#include <chrono>

#include "db/pool.hpp"
#include "jobs/worker_pool.hpp"
#include "storage/blob_store.hpp"

namespace sloth::channels {

class MediaRetention {
 public:
  MediaRetention(storage::BlobStore& blobs, int retention_days)
      : blobs_(blobs), retention_days_(retention_days) {}

  void Register(jobs::WorkerPool& jobs);
  // One organisation's batch (staged: storage is called between transactions).
  void Cleanup(jobs::StagedJobContext& ctx);

  static constexpr int kBatch = 200;

 private:
  storage::BlobStore& blobs_;
  int retention_days_;
};

}  // namespace sloth::channels
