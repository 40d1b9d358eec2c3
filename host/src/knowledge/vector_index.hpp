#pragma once

// Per-tenant approximate nearest-neighbour indexes (hnswlib, inner product on unit vectors
// = cosine). An index is loaded from the tenant's chunks in PostgreSQL on its first search
// (one load per tenant at a time; the others wait for it) and searched exactly at once;
// past kExactLimit its graph is built on a thread of its own while searches keep scanning.
// This host updates it in place when it ingests or deletes; a change announced on
// NOTIFY sloth_knowledge ("tenant:host", after the commit) makes the next search bring it up
// to date from PostgreSQL (ids added and gone) instead of loading it again, and a rebuild
// announced without a host (vectors changed under their ids) drops it. PostgreSQL stays the
// truth; an index is a cache of it.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "db/pool.hpp"
#include "knowledge/knowledge_options.hpp"

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
// built for a loaded index is sized for what was loaded; one for an index that grew past the
// exact limit, for twice its size then.
struct HnswParams {
  int m = 24;
  int ef_construction = 200;
  int ef_search = 96;
};
HnswParams ParamsFor(std::size_t n);

// One tenant's vectors of one model, by chunk id. Not thread-safe (VectorIndexes locks).
class VectorIndex {
 public:
  // A `loading` index is filled first (Loaded() ends that); its graph is then sized for the
  // size it has. Past `exact_limit` vectors it wants a graph.
  VectorIndex(std::string model, std::size_t dim, bool loading = false,
              std::size_t exact_limit = kExactLimit);
  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  const std::string& model() const { return model_; }
  std::size_t dim() const { return dim_; }
  std::size_t size() const { return live_; }
  bool graph() const { return hnsw_ != nullptr; }
  // The parameters the graph was built with (meaningful when graph()).
  const HnswParams& params() const { return params_; }
  void Loaded() { loading_ = false; }

  void Add(std::int64_t id, const float* v);
  // False when the id is not held.
  bool Remove(std::int64_t id);
  // The `k` nearest ids with their similarity (dot product), best first.
  std::vector<std::pair<float, std::int64_t>> Search(const float* query, int k) const;
  std::vector<std::int64_t> Ids() const;

  // Past kExactLimit a flat index wants a graph, built without holding up searches:
  // StartGraph (exclusive lock), then GraphBuild::Take (shared lock) and GraphBuild::Insert
  // (no lock) batch after batch, then FinishGraph (exclusive lock). Changes made meanwhile
  // reach the flat vectors, which keep being searched, and a log FinishGraph replays onto the
  // graph.
  class GraphBuild;
  bool WantsGraph() const;
  std::unique_ptr<GraphBuild> StartGraph();
  void FinishGraph(std::unique_ptr<GraphBuild> build);
  void AbandonGraph();
  // The whole build at once (tests, benchmarks).
  void BuildGraph();

 private:
  class Space;
  struct Change {
    std::int64_t id;
    std::vector<float> vector;  // empty: removed
  };

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
  std::size_t exact_limit_;
  bool grown_ = false;     // crossed the exact limit by growing, not while loading
  bool building_ = false;  // a GraphBuild is out: changes are logged for it
  std::vector<Change> log_;
  HnswParams params_;
};

// A graph in the making: the ids to take, the batch taken, the graph they go into.
class VectorIndex::GraphBuild {
 public:
  GraphBuild();
  ~GraphBuild();
  // Copies the next `batch` of the index's vectors still held (the caller holds the index's
  // lock, shared is enough); false when every id was taken.
  bool Take(const VectorIndex& index, std::size_t batch);
  // Adds what Take copied to the graph, which nothing else touches yet, on `threads`
  // threads (hnswlib inserts concurrently); they share the caller's nice value.
  void Insert(unsigned threads = 1);

 private:
  friend class VectorIndex;
  std::size_t dim_ = 0;
  std::vector<std::int64_t> ids_;
  std::size_t next_ = 0;
  std::vector<std::int64_t> batch_ids_;
  std::vector<float> vectors_;
  HnswParams params_;
  std::unique_ptr<Space> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> hnsw_;
};

class VectorIndexes {
 public:
  explicit VectorIndexes(std::size_t exact_limit = kExactLimit) : exact_limit_(exact_limit) {}
  ~VectorIndexes();  // stops a graph being built
  VectorIndexes(const VectorIndexes&) = delete;
  VectorIndexes& operator=(const VectorIndexes&) = delete;

  // The `k` nearest chunk ids with their similarity among the chunks embedded by `model`,
  // loading the tenant's index from `tx` (tenant-scoped) when there is none for it, or
  // bringing it up to date when it is behind a change.
  std::vector<std::pair<float, std::int64_t>> Search(db::Transaction& tx, std::int64_t tenant,
                                                     const std::string& model,
                                                     const std::vector<float>& query, int k);
  // Keeps a loaded index current after this host's own changes (no-op when not loaded, or
  // loaded for another model).
  void Add(std::int64_t tenant, const std::string& model, std::int64_t chunk_id,
           const std::vector<float>& vector);
  void Remove(std::int64_t tenant, const std::vector<std::int64_t>& chunk_ids);
  // The tenant's chunks changed (committed): its next search first catches up with them.
  void Changed(std::int64_t tenant);
  // Forgets the tenant's index (its vectors changed under their ids); the next search loads.
  void Invalidate(std::int64_t tenant);
  void InvalidateAll();

  // For tests and operators: chunk ids held by the tenant's index, whether it is loaded,
  // behind a change, searched through its graph; and what the indexes did so far.
  std::vector<std::int64_t> Ids(std::int64_t tenant);
  bool Built(std::int64_t tenant);
  bool Behind(std::int64_t tenant);
  bool Graph(std::int64_t tenant);
  struct Counts {
    std::uint64_t loads = 0;
    std::uint64_t catch_ups = 0;
    std::uint64_t graphs = 0;
  };
  Counts counts();

 private:
  struct Index;
  std::shared_ptr<Index> Get(std::int64_t tenant);
  bool BehindLocked(std::int64_t tenant, const Index& idx);
  std::shared_ptr<Index> Load(db::Transaction& tx, std::int64_t tenant, const std::string& model,
                              std::size_t dim);
  void CatchUp(db::Transaction& tx, std::int64_t tenant, Index& idx);
  void QueueGraph(std::int64_t tenant, Index& idx);
  void BuildGraphs();  // the builder thread

  const std::size_t exact_limit_;
  std::mutex mu_;
  std::map<std::int64_t, std::shared_ptr<Index>> indexes_;
  // One load or catch-up per tenant at a time; the other searches wait for it.
  std::map<std::int64_t, std::shared_ptr<std::mutex>> upkeep_;
  // Bumped by every drop, so a load that overlapped one is not kept.
  std::map<std::int64_t, std::uint64_t> generations_;
  std::uint64_t epoch_ = 0;
  // Bumped by every announced change; an index is behind while it has seen fewer.
  std::map<std::int64_t, std::uint64_t> changes_;
  Counts counts_;
  // Graphs to build, one at a time, on a thread started with the first.
  std::deque<std::int64_t> to_build_;
  std::set<std::int64_t> queued_;
  std::condition_variable builder_cv_;
  std::atomic<bool> stopping_{false};
  std::thread builder_;
};

}  // namespace sloth::knowledge
