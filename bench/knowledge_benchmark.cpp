// Knowledge benchmarks, in one run:
//   ingestion  parse + chunk + embed (local embedder) per format, MB/s and chunks/s
//   retrieval  10k and 100k chunks at dimension 384: the hnswlib index (the host's
//              parameters) against exact brute force: QPS and recall@10, and brute
//              force's own QPS as the memory-bandwidth ceiling
//
//   knowledge_benchmark [MAX_CHUNKS, default 100000]

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "hashed_embedder.hpp"
#include "knowledge/chunker.hpp"
#include "knowledge/parsers.hpp"
#include "knowledge/vector_index.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using sloth::knowledge::ChunkSections;
using sloth::knowledge::Parse;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Salon-like sentences from a fixed vocabulary: realistic word statistics for the embedder.
std::string Sentence(std::mt19937& rng) {
  static const std::vector<std::string> words = {
      "manicure", "pedicure", "gel",        "polish",  "nails",       "brows",     "lashes",
      "price",    "EUR",      "minutes",    "booking", "cancel",      "deposit",   "master",
      "Olena",    "Iryna",    "Saturday",   "Monday",  "hours",       "parking",   "card",
      "cash",     "gift",     "vegan",      "spa",     "paraffin",    "haircut",   "colour",
      "balayage", "styling",  "wedding",    "package", "refill",      "design",    "removal",
      "allergy",  "patch",    "test",       "манікюр", "педикюр",     "брови",     "вії",
      "ціна",     "запис",    "скасування", "субота",  "передоплата", "сертифікат"};
  std::uniform_int_distribution<std::size_t> pick(0, words.size() - 1);
  std::uniform_int_distribution<int> len(8, 30);
  std::string s;
  const int n = len(rng);
  for (int i = 0; i < n; ++i) s += (i ? " " : "") + words[pick(rng)];
  return s + ".";
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t max_chunks = argc > 1 ? std::stoul(argv[1]) : 100000;
  const std::string data = SLOTH_SOURCE_DIR "/tests/testdata/";
  local_embedder::HashedEmbedder embedder(384);
  std::vector<float> scratch(384);

  std::string txt;
  for (const char* f : {"prices_en.md", "faq_en.md", "policies_en.md", "prices_uk.md", "faq_uk.md"})
    txt += ReadFile(data + "eval/" + f) + "\n\n";
  struct Input {
    const char* format;
    std::string bytes;
  };
  const std::vector<Input> inputs = {{"txt", txt},
                                     {"pdf", ReadFile(data + "prices.pdf")},
                                     {"docx", ReadFile(data + "prices.docx")},
                                     {"xlsx", ReadFile(data + "schedule.xlsx")}};
  std::printf(
      "| format | file KB | MB/s (parse + chunk + embed) | chunks/s |\n|---|---|---|---|\n");
  for (const auto& in : inputs) {
    std::size_t bytes = 0, chunks = 0;
    const auto t0 = Clock::now();
    while (Seconds(t0) < 1.0) {
      const auto parts = ChunkSections(Parse(in.format, in.bytes), {1000, 200});
      for (const auto& c : parts) embedder.Embed(c.text, scratch.data());
      bytes += in.bytes.size();
      chunks += parts.size();
    }
    const double s = Seconds(t0);
    std::printf("| %s | %.1f | %.2f | %.0f |\n", in.format, in.bytes.size() / 1024.0,
                bytes / s / 1e6, chunks / s);
  }

  std::printf("\n| chunks | build s | HNSW QPS | HNSW recall@10 | brute force QPS | speed-up |\n");
  std::printf("|---|---|---|---|---|---|\n");
  const sloth::knowledge::IndexOptions opt;  // the host's parameters
  for (std::size_t n : {std::size_t{10000}, std::size_t{100000}}) {
    if (n > max_chunks) break;
    std::mt19937 rng(42);
    std::vector<float> vectors(n * 384);
    for (std::size_t i = 0; i < n; ++i) embedder.Embed(Sentence(rng), vectors.data() + i * 384);
    hnswlib::InnerProductSpace space(384);
    const auto t0 = Clock::now();
    hnswlib::HierarchicalNSW<float> index(&space, n, opt.m, opt.ef_construction, 100);
    for (std::size_t i = 0; i < n; ++i) index.addPoint(vectors.data() + i * 384, i);
    const double build = Seconds(t0);
    index.setEf(static_cast<std::size_t>(opt.ef_search));

    const int queries = 500;
    std::vector<std::vector<float>> qs;
    std::mt19937 qrng(7);
    for (int q = 0; q < queries; ++q) qs.push_back(embedder.Embed(Sentence(qrng)));

    // Exact: every dot product, the best 10.
    std::vector<std::vector<std::size_t>> exact(queries);
    auto t1 = Clock::now();
    std::vector<std::pair<float, std::size_t>> scored(n);
    for (int q = 0; q < queries; ++q) {
      for (std::size_t i = 0; i < n; ++i) {
        const float* v = vectors.data() + i * 384;
        float dot = 0;
        for (int d = 0; d < 384; ++d) dot += v[d] * qs[q][d];
        scored[i] = {dot, i};
      }
      std::partial_sort(scored.begin(), scored.begin() + 10, scored.end(),
                        [](const auto& a, const auto& b) { return a.first > b.first; });
      for (int k = 0; k < 10; ++k) exact[q].push_back(scored[k].second);
    }
    const double brute_qps = queries / Seconds(t1);

    t1 = Clock::now();
    std::size_t found = 0;
    for (int q = 0; q < queries; ++q) {
      auto r = index.searchKnn(qs[q].data(), 10);
      while (!r.empty()) {
        found += std::count(exact[q].begin(), exact[q].end(), r.top().second);
        r.pop();
      }
    }
    const double hnsw_qps = queries / Seconds(t1);
    std::printf("| %zu | %.1f | %.0f | %.3f | %.0f | %.1fx |\n", n, build, hnsw_qps,
                static_cast<double>(found) / (queries * 10.0), brute_qps, hnsw_qps / brute_qps);
    std::fflush(stdout);
  }
  return 0;
}
