#include "knowledge/vector_index.hpp"

#include "knowledge/document_repository.hpp"

// hnswlib's own SIMD is not used (the distance is our Dot), and with it off its search
// also stops prefetching one link past the end of an upper layer's list, a read past the
// allocation that AddressSanitizer reports (hnswlib 0.6.2, Debian 12).
#define NO_MANUAL_VECTORIZATION
#include <hnswlib/hnswlib.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <iterator>
#include <shared_mutex>
#include <string>

#include <spdlog/spdlog.h>

namespace sloth::knowledge {

// Eight lanes of float, as GCC's vector extension: each clone of Dot compiles them to the
// widest registers its target has (two SSE halves on plain x86-64, one AVX register with
// FMA on x86-64-v3 and v4). Loads go through memcpy: the vectors need not be aligned.
using Lanes = float __attribute__((vector_size(32)));

__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"))) float Dot(
    const float* a, const float* b, std::size_t n) {
  // Four independent sums hide the latency of the adds.
  Lanes sum[4] = {};
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (std::size_t k = 0; k < 4; ++k) {
      Lanes x, y;
      std::memcpy(&x, a + i + 8 * k, sizeof x);
      std::memcpy(&y, b + i + 8 * k, sizeof y);
      sum[k] += x * y;
    }
  }
  for (; i + 8 <= n; i += 8) {
    Lanes x, y;
    std::memcpy(&x, a + i, sizeof x);
    std::memcpy(&y, b + i, sizeof y);
    sum[0] += x * y;
  }
  const Lanes s = (sum[0] + sum[1]) + (sum[2] + sum[3]);
  float out = 0;
  for (int j = 0; j < 8; ++j) out += s[j];
  for (; i < n; ++i) out += a[i] * b[i];
  return out;
}

HnswParams ParamsFor(std::size_t n) {
  // Measured on salon-like chunks at dimension 384 (bench/knowledge_benchmark, session 9):
  // 30k chunks with M 24 / ef 96 reach recall@10 0.995 (p99 1.4 ms); 100k with M 32 / ef 160
  // reach 0.998 (p99 3.6 ms). A denser graph and a wider search as the index grows.
  if (n <= 50000) return {24, 200, 96};
  return {32, 240, 160};
}

// hnswlib's inner-product space with our Dot: the distance is 1 - dot on unit vectors.
class VectorIndex::Space final : public hnswlib::SpaceInterface<float> {
 public:
  explicit Space(std::size_t dim) : dim_(dim) {}
  std::size_t get_data_size() override { return dim_ * sizeof(float); }
  hnswlib::DISTFUNC<float> get_dist_func() override { return &Distance; }
  void* get_dist_func_param() override { return &dim_; }

 private:
  static float Distance(const void* a, const void* b, const void* dim) {
    return 1.0f - Dot(static_cast<const float*>(a), static_cast<const float*>(b),
                      *static_cast<const std::size_t*>(dim));
  }
  std::size_t dim_;
};

VectorIndex::VectorIndex(std::string model, std::size_t dim, bool loading, std::size_t exact_limit)
    : model_(std::move(model)), dim_(dim), loading_(loading), exact_limit_(exact_limit) {}

VectorIndex::~VectorIndex() = default;
VectorIndex::GraphBuild::GraphBuild() = default;
VectorIndex::GraphBuild::~GraphBuild() = default;

bool VectorIndex::GraphBuild::Take(const VectorIndex& index, std::size_t batch) {
  batch_ids_.clear();
  vectors_.clear();
  for (; next_ < ids_.size() && batch_ids_.size() < batch; ++next_) {
    const auto it = index.flat_pos_.find(ids_[next_]);
    if (it == index.flat_pos_.end()) continue;  // removed since the start: in the log
    const float* v = index.flat_.data() + it->second * index.dim_;
    vectors_.insert(vectors_.end(), v, v + index.dim_);
    batch_ids_.push_back(ids_[next_]);
  }
  return !batch_ids_.empty();
}

void VectorIndex::GraphBuild::Insert(unsigned threads) {
  std::atomic<std::size_t> next{0};
  std::exception_ptr failed;
  std::mutex failed_mu;
  auto work = [&] {
    try {
      for (std::size_t i; (i = next.fetch_add(1)) < batch_ids_.size();)
        hnsw_->addPoint(vectors_.data() + i * dim_, static_cast<hnswlib::labeltype>(batch_ids_[i]));
    } catch (...) {
      std::lock_guard lock(failed_mu);
      failed = std::current_exception();
    }
  };
  std::vector<std::thread> helpers;
  for (unsigned t = 1; t < threads && t < batch_ids_.size(); ++t) helpers.emplace_back(work);
  work();
  for (auto& t : helpers) t.join();
  if (failed) std::rethrow_exception(failed);
}

namespace {

// hnswlib updates a label it holds (and revives a deleted one) instead of adding it;
// true when `id` was not counted before.
bool AddToGraph(hnswlib::HierarchicalNSW<float>& g, std::int64_t id, const float* v) {
  const auto held = g.label_lookup_.find(static_cast<hnswlib::labeltype>(id));
  const bool counted = held != g.label_lookup_.end() && !g.isMarkedDeleted(held->second);
  if (g.cur_element_count >= g.max_elements_) g.resizeIndex(g.max_elements_ * 2);
  g.addPoint(v, static_cast<hnswlib::labeltype>(id));
  return !counted;
}

bool RemoveFromGraph(hnswlib::HierarchicalNSW<float>& g, std::int64_t id) {
  try {
    g.markDelete(static_cast<hnswlib::labeltype>(id));
    return true;
  } catch (const std::runtime_error&) {
    return false;  // not held (added by another host since the load), or deleted already
  }
}

}  // namespace

void VectorIndex::Add(std::int64_t id, const float* v) {
  if (hnsw_) {
    if (AddToGraph(*hnsw_, id, v)) ++live_;
    return;
  }
  if (building_) log_.push_back({id, std::vector<float>(v, v + dim_)});
  const auto [it, fresh] = flat_pos_.emplace(id, flat_ids_.size());
  if (!fresh) {
    std::copy(v, v + dim_, flat_.begin() + static_cast<std::ptrdiff_t>(it->second * dim_));
    return;
  }
  flat_.insert(flat_.end(), v, v + dim_);
  flat_ids_.push_back(id);
  ++live_;
  if (!loading_ && live_ > exact_limit_) grown_ = true;
}

bool VectorIndex::WantsGraph() const {
  return !hnsw_ && !building_ && !loading_ && live_ > exact_limit_;
}

std::unique_ptr<VectorIndex::GraphBuild> VectorIndex::StartGraph() {
  auto b = std::make_unique<GraphBuild>();
  b->dim_ = dim_;
  b->ids_ = flat_ids_;
  // Sized for the index as it is: one that crossed the exact limit by growing is built for
  // twice its size.
  b->params_ = ParamsFor(grown_ ? live_ * 2 : live_);
  b->space_ = std::make_unique<Space>(dim_);
  b->hnsw_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(
      b->space_.get(), live_ * 2, static_cast<std::size_t>(b->params_.m),
      static_cast<std::size_t>(b->params_.ef_construction), 100);
  building_ = true;
  log_.clear();
  return b;
}

void VectorIndex::FinishGraph(std::unique_ptr<GraphBuild> b) {
  for (const auto& c : log_) {
    if (c.vector.empty()) {
      RemoveFromGraph(*b->hnsw_, c.id);
    } else {
      AddToGraph(*b->hnsw_, c.id, c.vector.data());
    }
  }
  params_ = b->params_;
  space_ = std::move(b->space_);
  hnsw_ = std::move(b->hnsw_);
  AbandonGraph();
  std::vector<float>().swap(flat_);
  std::vector<std::int64_t>().swap(flat_ids_);
  flat_pos_.clear();
}

void VectorIndex::AbandonGraph() {
  building_ = false;
  std::vector<Change>().swap(log_);
}

void VectorIndex::BuildGraph() {
  auto b = StartGraph();
  while (b->Take(*this, 1024)) b->Insert();
  FinishGraph(std::move(b));
}

bool VectorIndex::Remove(std::int64_t id) {
  if (hnsw_) {
    if (!RemoveFromGraph(*hnsw_, id)) return false;
    --live_;
    return true;
  }
  if (building_) log_.push_back({id, {}});
  const auto it = flat_pos_.find(id);
  if (it == flat_pos_.end()) return false;
  // The last vector takes the removed one's place.
  const std::size_t at = it->second, last = flat_ids_.size() - 1;
  if (at != last) {
    std::copy(flat_.begin() + static_cast<std::ptrdiff_t>(last * dim_), flat_.end(),
              flat_.begin() + static_cast<std::ptrdiff_t>(at * dim_));
    flat_ids_[at] = flat_ids_[last];
    flat_pos_[flat_ids_[at]] = at;
  }
  flat_.resize(last * dim_);
  flat_ids_.pop_back();
  flat_pos_.erase(it);
  --live_;
  return true;
}

std::vector<std::pair<float, std::int64_t>> VectorIndex::Search(const float* query, int k) const {
  std::vector<std::pair<float, std::int64_t>> out;
  const std::size_t want = std::min<std::size_t>(static_cast<std::size_t>(std::max(k, 0)), live_);
  if (want == 0) return out;
  if (hnsw_) {
    // hnswlib's ef is per index, and searches run concurrently: the search width for this
    // size goes in through searchKnn's own parameter by way of a larger k, then is cut.
    const std::size_t ef =
        std::max<std::size_t>(want, static_cast<std::size_t>(ParamsFor(live_).ef_search));
    auto result = hnsw_->searchKnn(query, std::min(ef, live_));
    std::vector<std::pair<float, std::int64_t>> all;
    while (!result.empty()) {
      all.emplace_back(1.0f - result.top().first, static_cast<std::int64_t>(result.top().second));
      result.pop();
    }
    std::reverse(all.begin(), all.end());
    all.resize(std::min(all.size(), want));
    return all;
  }
  out.reserve(flat_ids_.size());
  for (std::size_t i = 0; i < flat_ids_.size(); ++i)
    out.emplace_back(Dot(flat_.data() + i * dim_, query, dim_), flat_ids_[i]);
  std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(want), out.end(),
                    [](const auto& a, const auto& b) {
                      return a.first > b.first || (a.first == b.first && a.second < b.second);
                    });
  out.resize(want);
  return out;
}

std::vector<std::int64_t> VectorIndex::Ids() const {
  std::vector<std::int64_t> out;
  if (hnsw_) {
    for (const auto& [label, internal] : hnsw_->label_lookup_) {
      if (!hnsw_->isMarkedDeleted(internal)) out.push_back(static_cast<std::int64_t>(label));
    }
  } else {
    out = flat_ids_;
  }
  std::sort(out.begin(), out.end());
  return out;
}

struct VectorIndexes::Index {
  Index(std::string model, std::size_t dim, std::size_t exact_limit)
      : index(std::move(model), dim, true, exact_limit) {}
  VectorIndex index;
  std::shared_mutex mu;    // searches share it; changes take it alone
  std::uint64_t seen = 0;  // announced changes it reflects (VectorIndexes::mu_)
};

VectorIndexes::~VectorIndexes() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  builder_cv_.notify_all();
  if (builder_.joinable()) builder_.join();
}

std::shared_ptr<VectorIndexes::Index> VectorIndexes::Get(std::int64_t tenant) {
  std::lock_guard lock(mu_);
  const auto it = indexes_.find(tenant);
  return it == indexes_.end() ? nullptr : it->second;
}

bool VectorIndexes::BehindLocked(std::int64_t tenant, const Index& idx) {
  const auto it = changes_.find(tenant);
  return it != changes_.end() && it->second != idx.seen;
}

std::shared_ptr<VectorIndexes::Index> VectorIndexes::Load(db::Transaction& tx, std::int64_t tenant,
                                                          const std::string& model,
                                                          std::size_t dim) {
  std::uint64_t generation;
  auto idx = std::make_shared<Index>(model, dim, exact_limit_);
  {
    std::lock_guard lock(mu_);
    generation = epoch_ + generations_[tenant];
    idx->seen = changes_[tenant];
    ++counts_.loads;
  }
  // Only the model's own vectors: another model's (waiting for a re-embed) mean nothing
  // here, even when their dimension happens to match.
  DocumentRepository().ForEachVector(tx, model, [&](std::int64_t id, const std::vector<float>& v) {
    if (v.size() != dim) return;  // the model's configuration changed under its name
    idx->index.Add(id, v.data());
  });
  idx->index.Loaded();
  {
    // A drop while loading means the load may have read vectors from before a rebuild
    // committed: answer this search with it, but do not keep it.
    std::lock_guard lock(mu_);
    if (epoch_ + generations_[tenant] != generation) return idx;
    indexes_[tenant] = idx;
  }
  QueueGraph(tenant, *idx);
  return idx;
}

void VectorIndexes::CatchUp(db::Transaction& tx, std::int64_t tenant, Index& idx) {
  std::uint64_t seen;
  {
    std::lock_guard lock(mu_);
    seen = changes_[tenant];  // before reading: a change announced meanwhile is caught next
    ++counts_.catch_ups;
  }
  std::vector<std::int64_t> held;
  {
    std::shared_lock lock(idx.mu);
    held = idx.index.Ids();
  }
  DocumentRepository docs;
  const auto now = docs.VectorIds(tx, idx.index.model());
  std::vector<std::int64_t> added, gone;
  std::set_difference(now.begin(), now.end(), held.begin(), held.end(), std::back_inserter(added));
  std::set_difference(held.begin(), held.end(), now.begin(), now.end(), std::back_inserter(gone));
  std::vector<std::pair<std::int64_t, std::vector<float>>> fresh;
  docs.ForEachVectorOf(tx, idx.index.model(), added,
                       [&](std::int64_t id, const std::vector<float>& v) {
                         if (v.size() == idx.index.dim()) fresh.emplace_back(id, v);
                       });
  {
    std::unique_lock lock(idx.mu);
    for (const auto id : gone) idx.index.Remove(id);
    for (const auto& [id, v] : fresh) idx.index.Add(id, v.data());
  }
  {
    std::lock_guard lock(mu_);
    idx.seen = seen;
  }
  QueueGraph(tenant, idx);
}

std::vector<std::pair<float, std::int64_t>> VectorIndexes::Search(db::Transaction& tx,
                                                                  std::int64_t tenant,
                                                                  const std::string& model,
                                                                  const std::vector<float>& query,
                                                                  int k) {
  auto fits = [&](const std::shared_ptr<Index>& idx) {
    return idx && idx->index.model() == model && idx->index.dim() == query.size();
  };
  std::shared_ptr<Index> idx;
  bool behind = false;
  {
    std::lock_guard lock(mu_);  // one lookup on the common path: loaded and current
    if (const auto it = indexes_.find(tenant); it != indexes_.end()) {
      idx = it->second;
      behind = BehindLocked(tenant, *idx);
    }
  }
  if (!fits(idx) || behind) {
    std::shared_ptr<std::mutex> upkeep;
    {
      std::lock_guard lock(mu_);
      auto& m = upkeep_[tenant];
      if (!m) m = std::make_shared<std::mutex>();
      upkeep = m;
    }
    // Whoever got here first loads or catches up; the rest find its work done.
    std::lock_guard once(*upkeep);
    idx = Get(tenant);
    if (!fits(idx)) {
      idx = Load(tx, tenant, model, query.size());
    } else {
      {
        std::lock_guard lock(mu_);
        behind = BehindLocked(tenant, *idx);
      }
      if (behind) CatchUp(tx, tenant, *idx);
    }
  }
  std::shared_lock lock(idx->mu);
  return idx->index.Search(query.data(), k);
}

void VectorIndexes::QueueGraph(std::int64_t tenant, Index& idx) {
  {
    std::shared_lock lock(idx.mu);
    if (!idx.index.WantsGraph()) return;
  }
  std::lock_guard lock(mu_);
  if (stopping_ || !queued_.insert(tenant).second) return;
  to_build_.push_back(tenant);
  if (!builder_.joinable()) builder_ = std::thread([this] { BuildGraphs(); });
  builder_cv_.notify_one();
}

void VectorIndexes::BuildGraphs() {
  // Searches are answered by the exact scan meanwhile: requests come first (nice 10 for
  // this thread alone; Linux gives each thread its own nice value).
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
  for (;;) {
    std::int64_t tenant;
    std::shared_ptr<Index> idx;
    {
      std::unique_lock lock(mu_);
      builder_cv_.wait(lock, [&] { return stopping_ || !to_build_.empty(); });
      if (stopping_) return;
      tenant = to_build_.front();
      to_build_.pop_front();
      queued_.erase(tenant);
      const auto it = indexes_.find(tenant);
      if (it == indexes_.end()) continue;
      idx = it->second;
    }
    std::unique_ptr<VectorIndex::GraphBuild> build;
    {
      std::unique_lock lock(idx->mu);
      if (!idx->index.WantsGraph()) continue;
      build = idx->index.StartGraph();
    }
    const auto t0 = std::chrono::steady_clock::now();
    // Every core: at nice 10 requests still come first.
    const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    bool more = true, kept = true;
    try {
      while (more) {
        {
          std::shared_lock lock(idx->mu);
          more = build->Take(idx->index, 64 * threads);
        }
        build->Insert(threads);
        // Stopping, or the index was dropped: the graph would be of no use.
        if (stopping_ || Get(tenant) != idx) {
          kept = false;
          break;
        }
      }
    } catch (const std::exception& e) {
      // The index stays flat (exact, slower); its next change asks for a graph again.
      spdlog::error("knowledge: tenant {}'s graph was not built: {}", tenant, e.what());
      kept = false;
    }
    std::unique_lock lock(idx->mu);
    if (!kept) {
      idx->index.AbandonGraph();
      continue;
    }
    idx->index.FinishGraph(std::move(build));
    const auto size = idx->index.size();
    lock.unlock();
    {
      std::lock_guard guard(mu_);
      ++counts_.graphs;
    }
    spdlog::info("knowledge: tenant {}'s index of {} vectors has its graph ({:.1f} s)", tenant,
                 size,
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
}

void VectorIndexes::Add(std::int64_t tenant, const std::string& model, std::int64_t chunk_id,
                        const std::vector<float>& v) {
  auto idx = Get(tenant);
  if (!idx || idx->index.model() != model || v.size() != idx->index.dim()) return;
  {
    std::unique_lock lock(idx->mu);
    idx->index.Add(chunk_id, v.data());
  }
  QueueGraph(tenant, *idx);
}

void VectorIndexes::Remove(std::int64_t tenant, const std::vector<std::int64_t>& ids) {
  auto idx = Get(tenant);
  if (!idx) return;
  std::unique_lock lock(idx->mu);
  for (const auto id : ids) idx->index.Remove(id);
}

void VectorIndexes::Changed(std::int64_t tenant) {
  std::lock_guard lock(mu_);
  ++changes_[tenant];
}

void VectorIndexes::Invalidate(std::int64_t tenant) {
  std::lock_guard lock(mu_);
  indexes_.erase(tenant);
  ++generations_[tenant];
}

void VectorIndexes::InvalidateAll() {
  std::lock_guard lock(mu_);
  indexes_.clear();
  ++epoch_;
}

bool VectorIndexes::Built(std::int64_t tenant) {
  return Get(tenant) != nullptr;
}

bool VectorIndexes::Behind(std::int64_t tenant) {
  std::lock_guard lock(mu_);
  const auto it = indexes_.find(tenant);
  return it != indexes_.end() && BehindLocked(tenant, *it->second);
}

bool VectorIndexes::Graph(std::int64_t tenant) {
  auto idx = Get(tenant);
  if (!idx) return false;
  std::shared_lock lock(idx->mu);
  return idx->index.graph();
}

VectorIndexes::Counts VectorIndexes::counts() {
  std::lock_guard lock(mu_);
  return counts_;
}

std::vector<std::int64_t> VectorIndexes::Ids(std::int64_t tenant) {
  auto idx = Get(tenant);
  if (!idx) return {};
  std::shared_lock lock(idx->mu);
  return idx->index.Ids();
}

}  // namespace sloth::knowledge
