#pragma once

// This host's vector indexes and how they stay fresh across hosts: a change of a tenant's
// chunks is announced (NOTIFY sloth_knowledge, "tenant:host") in the transaction that makes
// it; every host, hearing it after the commit, has its next search of that tenant catch up
// with PostgreSQL. A rebuild (vectors changed under their ids: "tenant") drops the index, and
// a lost LISTEN connection drops them all (changes may have been missed).

#include <cstdint>
#include <memory>
#include <string>

#include "db/listener.hpp"
#include "db/pool.hpp"
#include "knowledge/vector_index.hpp"

namespace sloth::knowledge {

class IndexRegistry {
 public:
  // `exact_limit`: vectors up to which an index is searched exactly (VectorIndex).
  explicit IndexRegistry(std::size_t exact_limit = kExactLimit);
  ~IndexRegistry() { Stop(); }

  // `database_url`: a direct connection for LISTEN; empty = this host alone.
  void Start(const std::string& database_url);
  void Stop();

  VectorIndexes& indexes() { return indexes_; }
  // In `tx`: this host applied the change to its own index already; after the commit every
  // host catches up.
  void AnnounceChange(db::Transaction& tx, std::int64_t tenant);
  // In `tx`: every host, this one included, drops the tenant's index after the commit.
  void AnnounceRebuild(db::Transaction& tx, std::int64_t tenant);

 private:
  VectorIndexes indexes_;
  std::string host_id_;  // in the payload: which host made the change (for whoever reads it)
  std::unique_ptr<db::Listener> listener_;
};

}  // namespace sloth::knowledge
