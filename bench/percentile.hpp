#pragma once

// The p-th quantile (0..1) of a sample, nearest rank: what the benchmarks' tables print.

#include <algorithm>
#include <vector>

namespace sloth::bench {

inline double Pct(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace sloth::bench
