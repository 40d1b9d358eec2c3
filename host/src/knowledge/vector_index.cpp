#include "knowledge/vector_index.hpp"

#include "knowledge/document_repository.hpp"

// hnswlib's own SIMD is not used (the distance is our Dot), and with it off its search
// also stops prefetching one link past the end of an upper layer's list, a read past the
// allocation that AddressSanitizer reports (hnswlib 0.6.2, Debian 12).
#define NO_MANUAL_VECTORIZATION
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <shared_mutex>
#include <string>

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

VectorIndex::VectorIndex(std::string model, std::size_t dim, bool loading)
    : model_(std::move(model)), dim_(dim), loading_(loading) {}

void VectorIndex::Loaded() {
  if (!hnsw_ && live_ > kExactLimit) BuildGraph();
  loading_ = false;
}

VectorIndex::~VectorIndex() = default;

void VectorIndex::Add(std::int64_t id, const float* v) {
  if (hnsw_) {
    // hnswlib updates a label it holds (and revives a deleted one) instead of adding it.
    const auto held = hnsw_->label_lookup_.find(static_cast<hnswlib::labeltype>(id));
    const bool counted =
        held != hnsw_->label_lookup_.end() && !hnsw_->isMarkedDeleted(held->second);
    if (hnsw_->cur_element_count >= hnsw_->max_elements_)
      hnsw_->resizeIndex(hnsw_->max_elements_ * 2);
    hnsw_->addPoint(v, static_cast<hnswlib::labeltype>(id));
    if (!counted) ++live_;
    return;
  }
  const auto [it, fresh] = flat_pos_.emplace(id, flat_ids_.size());
  if (!fresh) {
    std::copy(v, v + dim_, flat_.begin() + static_cast<std::ptrdiff_t>(it->second * dim_));
    return;
  }
  flat_.insert(flat_.end(), v, v + dim_);
  flat_ids_.push_back(id);
  ++live_;
  if (!loading_ && live_ > kExactLimit) BuildGraph();
}

void VectorIndex::BuildGraph() {
  // Sized for the index as it is (a rebuild after growth picks again): one that crossed the
  // exact limit by growing is built for twice its size.
  params_ = ParamsFor(loading_ ? live_ : live_ * 2);
  space_ = std::make_unique<Space>(dim_);
  hnsw_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(
      space_.get(), live_ * 2, static_cast<std::size_t>(params_.m),
      static_cast<std::size_t>(params_.ef_construction), 100);
  for (std::size_t i = 0; i < flat_ids_.size(); ++i)
    hnsw_->addPoint(flat_.data() + i * dim_, static_cast<hnswlib::labeltype>(flat_ids_[i]));
  std::vector<float>().swap(flat_);
  std::vector<std::int64_t>().swap(flat_ids_);
  flat_pos_.clear();
}

bool VectorIndex::Remove(std::int64_t id) {
  if (hnsw_) {
    try {
      hnsw_->markDelete(static_cast<hnswlib::labeltype>(id));
    } catch (const std::runtime_error&) {
      return false;  // not held (added by another host since the build)
    }
    --live_;
    return true;
  }
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
  explicit Index(std::string model, std::size_t dim) : index(std::move(model), dim, true) {}
  VectorIndex index;
  std::shared_mutex mu;  // searches share it; changes take it alone
};

VectorIndexes::~VectorIndexes() = default;

std::vector<float> ParseRealArray(std::string_view s) {
  std::vector<float> v;
  if (s.size() < 2) return v;
  s = s.substr(1, s.size() - 2);
  std::string tmp;
  while (!s.empty()) {
    const auto comma = s.find(',');
    tmp.assign(s.substr(0, comma));
    v.push_back(std::strtof(tmp.c_str(), nullptr));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return v;
}

std::shared_ptr<VectorIndexes::Index> VectorIndexes::Get(std::int64_t tenant) {
  std::lock_guard lock(mu_);
  const auto it = indexes_.find(tenant);
  return it == indexes_.end() ? nullptr : it->second;
}

std::shared_ptr<VectorIndexes::Index> VectorIndexes::Build(db::Transaction& tx,
                                                           const std::string& model,
                                                           std::size_t dim) {
  // Only the model's own vectors: another model's (waiting for a re-embed) mean nothing
  // here, even when their dimension happens to match.
  auto idx = std::make_shared<Index>(model, dim);
  DocumentRepository().ForEachVector(tx, model, [&](std::int64_t id, std::string_view text) {
    const auto v = ParseRealArray(text);
    if (v.size() != dim) return;  // the model's configuration changed under its name
    idx->index.Add(id, v.data());
  });
  idx->index.Loaded();
  return idx;
}

std::vector<std::pair<float, std::int64_t>> VectorIndexes::Search(db::Transaction& tx,
                                                                  std::int64_t tenant,
                                                                  const std::string& model,
                                                                  const std::vector<float>& query,
                                                                  int k) {
  auto idx = Get(tenant);
  if (!idx || idx->index.model() != model || idx->index.dim() != query.size()) {
    std::uint64_t generation;
    {
      std::lock_guard lock(mu_);
      generation = epoch_ + generations_[tenant];
    }
    idx = Build(tx, model, query.size());
    // An invalidation while building means the build may have read the rows from before a
    // change just committed: answer this search with it, but do not keep it.
    std::lock_guard lock(mu_);
    if (epoch_ + generations_[tenant] == generation) indexes_[tenant] = idx;
  }
  std::shared_lock lock(idx->mu);
  return idx->index.Search(query.data(), k);
}

void VectorIndexes::Add(std::int64_t tenant, const std::string& model, std::int64_t chunk_id,
                        const std::vector<float>& v) {
  auto idx = Get(tenant);
  if (!idx || idx->index.model() != model || v.size() != idx->index.dim()) return;
  std::unique_lock lock(idx->mu);
  idx->index.Add(chunk_id, v.data());
}

void VectorIndexes::Remove(std::int64_t tenant, const std::vector<std::int64_t>& ids) {
  auto idx = Get(tenant);
  if (!idx) return;
  std::unique_lock lock(idx->mu);
  for (const auto id : ids) idx->index.Remove(id);
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

std::vector<std::int64_t> VectorIndexes::Ids(std::int64_t tenant) {
  auto idx = Get(tenant);
  if (!idx) return {};
  std::shared_lock lock(idx->mu);
  return idx->index.Ids();
}

}  // namespace sloth::knowledge
