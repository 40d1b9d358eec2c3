// The host's vector index: the multiversioned dot product against the plain sum, the exact
// form and the graph answering the same nearest neighbours, and ids that come and go.

#include <algorithm>
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "knowledge/vector_index.hpp"

namespace sloth::knowledge {
namespace {

std::vector<float> Unit(std::mt19937& rng, std::size_t dim) {
  std::normal_distribution<float> g;
  std::vector<float> v(dim);
  float norm = 0;
  for (auto& x : v) {
    x = g(rng);
    norm += x * x;
  }
  for (auto& x : v) x /= std::sqrt(norm);
  return v;
}

TEST(VectorIndex, DotMatchesThePlainSumForEveryLengthAndOffset) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> a(400), b(400);
  for (auto& x : a) x = u(rng);
  for (auto& x : b) x = u(rng);
  // Every tail length, and unaligned starts: the SIMD loads must not assume alignment.
  for (std::size_t offset : {0u, 1u, 3u}) {
    for (std::size_t n = 0; n + offset <= 397; ++n) {
      double want = 0;
      for (std::size_t i = 0; i < n; ++i) want += double(a[offset + i]) * b[offset + i];
      EXPECT_NEAR(Dot(a.data() + offset, b.data() + offset, n), want, 1e-4) << n << "+" << offset;
    }
  }
}

TEST(VectorIndex, ExactSearchRanksByDotProductAndForgetsRemovedIds) {
  std::mt19937 rng(5);
  VectorIndex index("m", 64);
  std::vector<std::vector<float>> vs;
  for (int i = 0; i < 300; ++i) {
    vs.push_back(Unit(rng, 64));
    index.Add(1000 + i, vs.back().data());
  }
  EXPECT_FALSE(index.graph());
  EXPECT_EQ(index.size(), 300u);
  const auto hits = index.Search(vs[42].data(), 5);
  ASSERT_EQ(hits.size(), 5u);
  EXPECT_EQ(hits[0].second, 1042);
  EXPECT_NEAR(hits[0].first, 1.0f, 1e-5);
  for (std::size_t i = 1; i < hits.size(); ++i) EXPECT_GE(hits[i - 1].first, hits[i].first);
  EXPECT_TRUE(index.Remove(1042));
  EXPECT_FALSE(index.Remove(1042));
  EXPECT_NE(index.Search(vs[42].data(), 1)[0].second, 1042);
  // The vector that moved into the removed one's place is still found as itself.
  EXPECT_EQ(index.Search(vs[299].data(), 1)[0].second, 1299);
  // Adding an id again replaces its vector, it is not counted twice.
  index.Add(1001, vs[7].data());
  EXPECT_EQ(index.size(), 299u);
  EXPECT_EQ(index.Ids().size(), 299u);
  EXPECT_TRUE(index.Search(vs[0].data(), 0).empty());
}

TEST(VectorIndex, PastTheExactLimitAGraphFindsWhatTheScanFinds) {
  std::mt19937 rng(9);
  constexpr std::size_t kDim = 32, kN = kExactLimit + 500;
  // Still loading, the first stays a flat scan whatever its size: the reference answer.
  VectorIndex exact("m", kDim, /*loading=*/true), grown("m", kDim);
  std::vector<std::vector<float>> vs;
  for (std::size_t i = 0; i < kN; ++i) {
    vs.push_back(Unit(rng, kDim));
    grown.Add(static_cast<std::int64_t>(i), vs.back().data());
    exact.Add(static_cast<std::int64_t>(i), vs.back().data());
  }
  EXPECT_FALSE(exact.graph());
  EXPECT_FALSE(exact.WantsGraph());  // still loading
  // Crossing the limit asks for a graph; searches scan until it is there.
  ASSERT_TRUE(grown.WantsGraph());
  EXPECT_FALSE(grown.graph());
  grown.BuildGraph();
  ASSERT_TRUE(grown.graph());
  EXPECT_FALSE(grown.WantsGraph());
  EXPECT_EQ(grown.size(), kN);
  EXPECT_EQ(grown.Ids().size(), kN);
  // Each vector finds itself; and on random queries the graph agrees with the scan.
  int self = 0, agree = 0, total = 0;
  for (std::size_t i = 0; i < 200; ++i) {
    self += grown.Search(vs[i * 7].data(), 1)[0].second == static_cast<std::int64_t>(i * 7);
    const auto q = Unit(rng, kDim);
    const auto a = exact.Search(q.data(), 10);
    const auto b = grown.Search(q.data(), 10);
    for (const auto& [s, id] : a) {
      total += 1;
      agree += std::any_of(b.begin(), b.end(), [&](const auto& h) { return h.second == id; });
    }
  }
  EXPECT_GE(self, 198);
  EXPECT_GE(static_cast<double>(agree) / total, 0.9);
  EXPECT_TRUE(grown.Remove(3));
  EXPECT_FALSE(grown.Remove(3));
  EXPECT_EQ(grown.size(), kN - 1);
  grown.Add(3, vs[3].data());  // revived, counted once
  EXPECT_EQ(grown.size(), kN);
}

TEST(VectorIndex, ChangesWhileTheGraphIsBuiltReachTheGraph) {
  std::mt19937 rng(11);
  constexpr std::size_t kDim = 16, kN = kExactLimit + 100;
  VectorIndex index("m", kDim, /*loading=*/true);
  std::vector<std::vector<float>> vs;
  for (std::size_t i = 0; i < kN + 50; ++i) vs.push_back(Unit(rng, kDim));
  for (std::size_t i = 0; i < kN; ++i) index.Add(static_cast<std::int64_t>(i), vs[i].data());
  index.Loaded();
  ASSERT_TRUE(index.WantsGraph());
  auto build = index.StartGraph();
  EXPECT_FALSE(index.WantsGraph());  // one build at a time
  // Half the graph is built, then the index changes: one removed before it was taken, one
  // after, one replaced, fifty added; the scan sees each change at once.
  for (int batch = 0; batch < 20; ++batch) {
    ASSERT_TRUE(build->Take(index, 256));
    build->Insert(3);  // as the host builds: on several threads
  }
  EXPECT_TRUE(index.Remove(3));      // taken already
  EXPECT_TRUE(index.Remove(10050));  // not taken yet
  index.Add(7, vs[kN].data());       // id 7 now holds another vector
  for (std::size_t i = kN + 1; i < kN + 50; ++i)
    index.Add(static_cast<std::int64_t>(i), vs[i].data());
  EXPECT_EQ(index.Search(vs[kN].data(), 1)[0].second, 7);
  EXPECT_EQ(index.size(), kN - 2 + 49);
  while (build->Take(index, 256)) build->Insert();
  EXPECT_FALSE(index.graph());
  index.FinishGraph(std::move(build));
  ASSERT_TRUE(index.graph());

  std::vector<std::int64_t> want;
  for (std::size_t i = 0; i < kN + 50; ++i)
    if (i != 3 && i != 10050 && i != kN) want.push_back(static_cast<std::int64_t>(i));
  EXPECT_EQ(index.Ids(), want);
  EXPECT_EQ(index.size(), want.size());
  EXPECT_EQ(index.Search(vs[kN].data(), 1)[0].second, 7);  // the replacement, in the graph
  EXPECT_EQ(index.Search(vs[kN + 20].data(), 1)[0].second,
            static_cast<std::int64_t>(kN + 20));  // added during the build
  for (const auto& [score, id] : index.Search(vs[3].data(), 10)) EXPECT_NE(id, 3);
  for (const auto& [score, id] : index.Search(vs[10050].data(), 10)) EXPECT_NE(id, 10050);
}

}  // namespace
}  // namespace sloth::knowledge
