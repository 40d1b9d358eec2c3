#include "knowledge/vector_index.hpp"

#include "knowledge/document_repository.hpp"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <cstdlib>
#include <shared_mutex>
#include <string>

namespace sloth::knowledge {

struct VectorIndexes::Index {
  std::string model;
  std::size_t dim = 0;
  std::unique_ptr<hnswlib::InnerProductSpace> space;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> hnsw;
  std::shared_mutex mu;  // hnswlib allows concurrent searches, not searches during inserts
  std::size_t live = 0;
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
  auto idx = std::make_shared<Index>();
  idx->model = model;
  idx->dim = dim;
  idx->space = std::make_unique<hnswlib::InnerProductSpace>(dim);
  idx->hnsw = std::make_unique<hnswlib::HierarchicalNSW<float>>(idx->space.get(), 1024, options_.m,
                                                                options_.ef_construction, 100);
  idx->hnsw->setEf(static_cast<std::size_t>(options_.ef_search));
  DocumentRepository().ForEachVector(tx, model, [&](std::int64_t id, std::string_view text) {
    const auto v = ParseRealArray(text);
    if (v.size() != dim) return;  // the model's configuration changed under its name
    if (idx->hnsw->cur_element_count == idx->hnsw->max_elements_)
      idx->hnsw->resizeIndex(idx->hnsw->max_elements_ * 2);
    idx->hnsw->addPoint(v.data(), static_cast<hnswlib::labeltype>(id));
    ++idx->live;
  });
  return idx;
}

std::vector<std::pair<float, std::int64_t>> VectorIndexes::Search(db::Transaction& tx,
                                                                  std::int64_t tenant,
                                                                  const std::string& model,
                                                                  const std::vector<float>& query,
                                                                  int k) {
  auto idx = Get(tenant);
  if (!idx || idx->model != model || idx->dim != query.size()) {
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
  std::vector<std::pair<float, std::int64_t>> out;
  if (idx->live == 0) return out;
  auto result = idx->hnsw->searchKnn(query.data(), std::min<std::size_t>(k, idx->live));
  while (!result.empty()) {
    // hnswlib's inner-product distance is 1 - dot.
    out.emplace_back(1.0f - result.top().first, static_cast<std::int64_t>(result.top().second));
    result.pop();
  }
  std::reverse(out.begin(), out.end());
  return out;
}

void VectorIndexes::Add(std::int64_t tenant, const std::string& model, std::int64_t chunk_id,
                        const std::vector<float>& v) {
  auto idx = Get(tenant);
  if (!idx || idx->model != model || v.size() != idx->dim) return;
  std::unique_lock lock(idx->mu);
  if (idx->hnsw->cur_element_count >= idx->hnsw->max_elements_)
    idx->hnsw->resizeIndex(idx->hnsw->max_elements_ * 2);
  idx->hnsw->addPoint(v.data(), static_cast<hnswlib::labeltype>(chunk_id));
  ++idx->live;
}

void VectorIndexes::Remove(std::int64_t tenant, const std::vector<std::int64_t>& ids) {
  auto idx = Get(tenant);
  if (!idx) return;
  std::unique_lock lock(idx->mu);
  for (const auto id : ids) {
    try {
      idx->hnsw->markDelete(static_cast<hnswlib::labeltype>(id));
      --idx->live;
    } catch (const std::runtime_error&) {
      // not in this index (added by another host since the build): nothing to remove
    }
  }
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
  std::vector<std::int64_t> out;
  auto idx = Get(tenant);
  if (!idx) return out;
  std::shared_lock lock(idx->mu);
  for (const auto& [label, internal] : idx->hnsw->label_lookup_) {
    if (!idx->hnsw->isMarkedDeleted(internal)) out.push_back(static_cast<std::int64_t>(label));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace sloth::knowledge
