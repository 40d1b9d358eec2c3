#pragma once

// Per-tenant approximate nearest-neighbour indexes (hnswlib, inner product on unit vectors
// = cosine). An index is built lazily from the tenant's chunks in PostgreSQL on its first
// search, updated in place when this host ingests or deletes, and dropped when another
// host says (NOTIFY sloth_knowledge, payload = tenant id) that the tenant's chunks changed
// — the next search rebuilds it. PostgreSQL stays the truth; an index is a cache of it.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "db/pool.hpp"

namespace hnswlib {
template <typename T>
class HierarchicalNSW;
class InnerProductSpace;
}  // namespace hnswlib

namespace sloth::knowledge {

inline constexpr const char* kKnowledgeChannel = "sloth_knowledge";

struct IndexOptions {
  int m = 16;
  int ef_construction = 200;
  int ef_search = 64;
};

class VectorIndexes {
 public:
  explicit VectorIndexes(IndexOptions options = {}) : options_(options) {}
  ~VectorIndexes();

  // The `k` nearest chunk ids with their similarity among the chunks embedded by `model`,
  // building the tenant's index from `tx` (tenant-scoped) when there is none for it.
  std::vector<std::pair<float, std::int64_t>> Search(db::Transaction& tx, std::int64_t tenant,
                                                     const std::string& model,
                                                     const std::vector<float>& query, int k);
  // Keeps a built index current after this host's own changes (no-op when not built, or
  // built for another model).
  void Add(std::int64_t tenant, const std::string& model, std::int64_t chunk_id,
           const std::vector<float>& vector);
  void Remove(std::int64_t tenant, const std::vector<std::int64_t>& chunk_ids);
  // Forgets the tenant's index (another host changed its chunks).
  void Invalidate(std::int64_t tenant);
  void InvalidateAll();
  // Chunk ids held by the tenant's index (tests check isolation against this).
  std::vector<std::int64_t> Ids(std::int64_t tenant);
  bool Built(std::int64_t tenant);

 private:
  struct Index;
  std::shared_ptr<Index> Get(std::int64_t tenant);
  std::shared_ptr<Index> Build(db::Transaction& tx, const std::string& model, std::size_t dim);

  IndexOptions options_;
  std::mutex mu_;
  std::map<std::int64_t, std::shared_ptr<Index>> indexes_;
  // Bumped by every invalidation, so a build that overlapped one is not kept.
  std::map<std::int64_t, std::uint64_t> generations_;
  std::uint64_t epoch_ = 0;
};

// Text form of real[] (PostgreSQL) to floats.
std::vector<float> ParseRealArray(std::string_view text);

}  // namespace sloth::knowledge
