#pragma once

// The inbound half of the pipeline (DESIGN.md "Inbound message, end to end"): events a
// channel plugin parsed from a webhook or a poll are stored once per (integration, provider
// message id) and their processing job is enqueued in the same transaction; only after
// that commits does the provider get its 200 (or the plugin its SLOTH_OK).

#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "db/group_commit.hpp"
#include "db/pool.hpp"
#include "integrations/integration_repository.hpp"
#include "storage/blob_store.hpp"

namespace sloth::channels {

struct StoreResult {
  int stored = 0;      // new events
  int duplicates = 0;  // already stored: redeliveries
  int ignored = 0;     // malformed or of an unknown type (logged)
};

class Inbound {
 public:
  // Photos clients send are kept in `blobs` (the platform's storage component).
  Inbound(db::Pool& pool, std::chrono::milliseconds burst_window, storage::BlobStore& blobs);

  // `events`: a JSON array (or one object) of channel events (sdk/README.md "Payloads").
  // Returns once they and their jobs are committed. Concurrent deliveries to one salon are
  // written together (db::GroupCommit): one transaction and one WAL flush for the group.
  StoreResult Store(const integrations::Integration& integration, const nlohmann::json& events);

  // Groups written and deliveries in them since the start.
  std::pair<std::size_t, std::size_t> GroupCounts() const { return group_.Counts(); }

 private:
  // One group in flight per salon: measured against 2, 3 and 8 (bench/RESULTS.md).
  static constexpr std::size_t kMaxGroup = 64;
  struct Delivery {
    const integrations::Integration* integration;
    nlohmann::json events;  // an array
  };
  std::vector<StoreResult> Write(std::int64_t tenant, const std::vector<Delivery*>& deliveries);

  // Media bytes a plugin attached (photo.data_base64) go to storage; the event keeps the key.
  void StoreMedia(const integrations::Integration& integration, nlohmann::json& event);

  db::Pool& pool_;
  std::chrono::milliseconds burst_window_;
  storage::BlobStore& blobs_;
  db::GroupCommit<std::int64_t, Delivery, StoreResult> group_;
};

}  // namespace sloth::channels
