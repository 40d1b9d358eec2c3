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
}  // namespace hnswlib

namespace sloth::knowledge {

inline constexpr const char* kKnowledgeChannel = "sloth_knowledge";

// The dot product of two float vectors, compiled for AVX-512, AVX2+FMA and plain x86-64 and
// picked at load time for the CPU it runs on (GCC function multiversioning).
float Dot(const float* a, const float* b, std::size_t n);

// The graph's parameters for an index of `n` vectors: recall@10 >= 0.95 from 10k to 100k
// salon-like chunks at dimension 384 (bench/knowledge_benchmark, bench/RESULTS.md). A graph
// built while loading is sized for what was loaded; one that grows past the exact limit,
// for twice its size then.
struct HnswParams {
  int m = 24;
  int ef_construction = 200;
  int ef_search = 96;
};
HnswParams ParamsFor(std::size_t n);

// Up to this many vectors an index is a flat array searched exactly: a scan is then as fast
// as the graph (about a millisecond at dimension 384) and never misses.
inline constexpr std::size_t kExactLimit = 10000;

// One tenant's vectors of one model, by chunk id. Not thread-safe (VectorIndexes locks).
class VectorIndex {
 public:
  // A `loading` index stays flat while it is filled, and picks its form (and its graph's
  // parameters, for the size it then has) at Loaded().
  VectorIndex(std::string model, std::size_t dim, bool loading = false);
  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  const std::string& model() const { return model_; }
  std::size_t dim() const { return dim_; }
  std::size_t size() const { return live_; }
  bool graph() const { return hnsw_ != nullptr; }
  // The parameters the graph was built with (meaningful when graph()).
  const HnswParams& params() const { return params_; }
  void Loaded();

  void Add(std::int64_t id, const float* v);
  // False when the id is not held.
  bool Remove(std::int64_t id);
  // The `k` nearest ids with their similarity (dot product), best first.
  std::vector<std::pair<float, std::int64_t>> Search(const float* query, int k) const;
  std::vector<std::int64_t> Ids() const;

 private:
  class Space;
  void BuildGraph();

  std::string model_;
  std::size_t dim_;
  // Flat while small: vectors back to back, the id of each, and where each id sits.
  std::vector<float> flat_;
  std::vector<std::int64_t> flat_ids_;
  std::map<std::int64_t, std::size_t> flat_pos_;
  std::unique_ptr<Space> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> hnsw_;
  std::size_t live_ = 0;
  bool loading_;
  HnswParams params_;
};

class VectorIndexes {
 public:
  VectorIndexes() = default;
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

  std::mutex mu_;
  std::map<std::int64_t, std::shared_ptr<Index>> indexes_;
  // Bumped by every invalidation, so a build that overlapped one is not kept.
  std::map<std::int64_t, std::uint64_t> generations_;
  std::uint64_t epoch_ = 0;
};

// Text form of real[] (PostgreSQL) to floats.
std::vector<float> ParseRealArray(std::string_view text);

}  // namespace sloth::knowledge
