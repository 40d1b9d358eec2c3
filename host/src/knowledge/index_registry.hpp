#pragma once

// This host's vector indexes and how they stay fresh across hosts: a change of a tenant's
// chunks is announced (NOTIFY sloth_knowledge, "tenant:host") in the transaction that
// makes it; every other host drops its index of that tenant when it hears it, and all
// indexes when the LISTEN connection was lost (changes may have been missed).

#include <cstdint>
#include <memory>
#include <string>

#include "db/listener.hpp"
#include "db/pool.hpp"
#include "knowledge/vector_index.hpp"

namespace sloth::knowledge {

class IndexRegistry {
 public:
  IndexRegistry();
  ~IndexRegistry() { Stop(); }

  // `database_url`: a direct connection for LISTEN; empty = this host alone.
  void Start(const std::string& database_url);
  void Stop();

  VectorIndexes& indexes() { return indexes_; }
  // In `tx`: this host applied the change to its own index; the others drop theirs.
  void AnnounceChange(db::Transaction& tx, std::int64_t tenant);
  // In `tx`: every host, this one included, drops the tenant's index after the commit.
  void AnnounceRebuild(db::Transaction& tx, std::int64_t tenant);

 private:
  VectorIndexes indexes_;
  std::string host_id_;  // tells this host's own notifications apart
  std::unique_ptr<db::Listener> listener_;
};

}  // namespace sloth::knowledge
