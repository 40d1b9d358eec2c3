// Knowledge benchmarks, in one run:
//   ingestion  parse + chunk + embed (local embedder) per format, MB/s and chunks/s
//   bandwidth  the machine's memory read bandwidth, and the exact scan's vectors/s per core
//              against the ceiling it implies (a 384-float vector is 1,536 bytes)
//   retrieval  5k to 100k salon-like chunks at dimension 384 through the host's own index
//              (knowledge::VectorIndex: exact below its limit, HNSW above with the
//              parameters ParamsFor picks): build time, recall@10 against the exact
//              answer, p50/p99 query latency on one core
//   restart    with a DATABASE_URL: the largest set written to a tenant's chunks, then a
//              fresh set of indexes as after a restart: the first search's wait (the load
//              from PostgreSQL), search latency while the graph is built on its thread, the
//              time to the graph, and latency through it
//
//   knowledge_benchmark [MAX_CHUNKS, default 100000] [DATABASE_URL]

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "db/migrations.hpp"
#include "db/pool.hpp"
#include "hashed_embedder.hpp"
#include "knowledge/chunker.hpp"
#include "knowledge/parsers.hpp"
#include "knowledge/vector_index.hpp"
#include "percentile.hpp"
#include "tenants/tenant_repository.hpp"

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

// Chunks that read like salons' documents: sentences of the evaluation set (tests/testdata/
// eval, English and Ukrainian), three to six per chunk, with their wording varied — numbers
// changed, a name, a service or a day swapped, words dropped — so no two chunks repeat.
class SalonText {
 public:
  explicit SalonText(const std::string& dir) {
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      std::istringstream in(ReadFile(e.path().string()));
      std::string sentence;
      for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#' || line[0] == '|') continue;
        for (char c : line + " ") {
          sentence += c;
          if ((c == '.' || c == '?' || c == '!') && sentence.size() > 20) {
            sentences_.push_back(sentence);
            sentence.clear();
          }
        }
      }
    }
  }
  std::size_t sentences() const { return sentences_.size(); }

  std::string Chunk(std::mt19937& rng) const {
    static const std::vector<std::string> swaps = {
        "Olena",   "Iryna",   "Maria",    "Sofia",    "Monday",  "Tuesday", "Saturday",
        "Sunday",  "gel",     "acrylic",  "shellac",  "lashes",  "brows",   "balayage",
        "keratin", "massage", "paraffin", "pedicure", "facial",  "peel",    "UAH",
        "EUR",     "Kyiv",    "Lviv",     "Podil",    "манікюр", "вії",     "брови",
        "субота",  "ціна",    "запис",    "знижка",   "tint",    "wax",     "laser"};
    std::uniform_int_distribution<std::size_t> pick(0, sentences_.size() - 1),
        swap(0, swaps.size() - 1);
    std::uniform_int_distribution<int> count(3, 6), percent(0, 99), number(1, 2000);
    std::string out;
    for (int n = count(rng); n > 0; --n) {
      std::istringstream words(sentences_[pick(rng)]);
      for (std::string w; words >> w;) {
        const int p = percent(rng);
        if (p < 6) continue;               // dropped
        if (p < 14) w = swaps[swap(rng)];  // swapped
        if (std::isdigit(static_cast<unsigned char>(w[0]))) w = std::to_string(number(rng));
        out += w + " ";
      }
    }
    return out;
  }

 private:
  std::vector<std::string> sentences_;
};

// Read bandwidth: summing a 512 MiB array, best of three passes.
double ReadBandwidth() {
  std::vector<std::uint64_t> a(std::size_t{64} << 20, 1);
  double best = 0;
  for (int pass = 0; pass < 3; ++pass) {
    const auto t0 = Clock::now();
    std::uint64_t sum = 0;
    for (const auto v : a) sum += v;
    const double s = Seconds(t0);
    if (sum != a.size()) std::abort();
    best = std::max(best, a.size() * sizeof(std::uint64_t) / s);
  }
  return best;
}

// A restart of a host whose tenant has `n` chunks of dimension `dim` in PostgreSQL.
void Restart(const std::string& url, const std::vector<float>& vectors, std::size_t dim,
             const std::vector<std::vector<float>>& queries) {
  using namespace sloth;
  db::PoolOptions po;
  po.url = url;
  po.size = 2;
  db::Pool pool(po);
  db::Migrator migrator(pool, db::BuiltinMigrations());
  migrator.MigratePublic();
  tenants::TenantRepository tenants(migrator);
  const db::TenantId tenant{pool.InTransaction(
      [&](db::Transaction& tx) { return tenants.Create(tx, "Restart bench").id; })};
  const std::size_t n = vectors.size() / dim;
  const std::string model = "bench-" + std::to_string(dim);
  const auto w0 = Clock::now();
  pool.InTenant(tenant, [&](db::Transaction& tx) {
    const auto doc = tx.Exec(
                           "INSERT INTO documents (kind, title, filename, format, size_bytes, "
                           "storage_key, status) VALUES ('document', 'bench', 'bench.txt', "
                           "'txt', 1, 'bench', 'completed') RETURNING id")
                         .Int(0, 0);
    std::vector<std::string> batch;
    char num[32];
    for (std::size_t i = 0; i < n; ++i) {
      std::string v = "{";
      for (std::size_t k = 0; k < dim; ++k) {
        const auto [end, ec] = std::to_chars(num, num + sizeof num, vectors[i * dim + k]);
        v.append(num, end);
        v += k + 1 < dim ? ',' : '}';
      }
      batch.push_back(std::move(v));
      if (batch.size() == 1000 || i + 1 == n) {
        tx.Exec(
            "INSERT INTO chunks (document_id, position, text, tsv, embedding, model) "
            "SELECT $1, p, 'chunk', ''::tsvector, v::real[], $2 "
            "FROM unnest($3::text[]) WITH ORDINALITY AS t(v, p)",
            doc, model, batch);
        batch.clear();
      }
    }
  });
  std::fprintf(stderr, "restart: %zu vectors written in %.1f s\n", n, Seconds(w0));

  knowledge::VectorIndexes indexes;  // as a host has them after a restart: none loaded
  auto search = [&](const std::vector<float>& q) {
    const auto t = Clock::now();
    pool.InTenant(tenant, db::kReadOnly, [&](db::Transaction& tx) {
      return indexes.Search(tx, tenant.value, model, q, 10);
    });
    return Seconds(t) * 1000;
  };
  const auto t0 = Clock::now();
  const double first_ms = search(queries[0]);
  std::vector<double> during;
  // Up to the exact limit no graph comes: the index is exact for good.
  for (std::size_t i = 1; n > knowledge::kExactLimit && !indexes.Graph(tenant.value); ++i)
    during.push_back(search(queries[i % queries.size()]));
  const double graph_s = Seconds(t0);
  std::vector<double> after;
  for (const auto& q : queries) after.push_back(search(q));
  std::sort(during.begin(), during.end());
  std::sort(after.begin(), after.end());
  using sloth::bench::Pct;
  std::printf(
      "\n| chunks in PostgreSQL | first search after a restart s | searches while the graph "
      "is built | their p50 / p99 ms | graph ready after s | through the graph p50 / p99 ms "
      "|\n|---|---|---|---|---|---|\n");
  std::printf("| %zu | %.2f | %zu | %.1f / %.1f | %.1f | %.2f / %.2f |\n", n, first_ms / 1000,
              during.size(), Pct(during, 0.5), Pct(during, 0.99), graph_s, Pct(after, 0.5),
              Pct(after, 0.99));
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

  using sloth::knowledge::Dot;
  using sloth::knowledge::VectorIndex;
  const SalonText text(data + "eval");
  constexpr std::size_t kDim = 384;
  // A scan over a corpus far larger than the caches: vectors/s on one core against the
  // ceiling that memory bandwidth sets.
  {
    const double bandwidth = ReadBandwidth();
    const std::size_t n = 200000;
    std::vector<float> big(n * kDim);
    std::mt19937 rng(1);
    std::normal_distribution<float> g;
    for (auto& x : big) x = g(rng);
    const std::vector<float> q(big.begin(), big.begin() + kDim);
    float sink = 0;
    const auto t0 = Clock::now();
    int passes = 0;
    while (Seconds(t0) < 2.0) {
      for (std::size_t i = 0; i < n; ++i) sink += Dot(big.data() + i * kDim, q.data(), kDim);
      ++passes;
    }
    const double per_s = static_cast<double>(n) * passes / Seconds(t0);
    // A cache-resident set of 2,000 vectors (3 MB): the compute ceiling of the dot product.
    const auto t1 = Clock::now();
    std::size_t hot = 0;
    while (Seconds(t1) < 1.0) {
      for (std::size_t i = 0; i < 2000; ++i) sink += Dot(big.data() + i * kDim, q.data(), kDim);
      hot += 2000;
    }
    const double hot_per_s = hot / Seconds(t1);
    std::printf(
        "\n| memory read GB/s | ceiling vectors/s (384 floats) | exact scan vectors/s, one core "
        "(307 MB set) | of ceiling | in cache vectors/s |\n|---|---|---|---|---|\n");
    std::printf("| %.1f | %.1f M | %.1f M | %.0f%% | %.1f M |%s\n", bandwidth / 1e9,
                bandwidth / (kDim * 4) / 1e6, per_s / 1e6, 100 * per_s / (bandwidth / (kDim * 4)),
                hot_per_s / 1e6, sink == 12345.f ? " " : "");
  }

  std::printf(
      "\n| chunks | index | M / ef_search | build s | recall@10 | p50 ms | p99 ms | QPS |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  std::vector<float> vectors;
  std::mt19937 rng(42);
  for (std::size_t n : {std::size_t{5000}, std::size_t{30000}, std::size_t{100000}}) {
    if (n > max_chunks) break;
    const std::size_t had = vectors.size() / kDim;
    vectors.resize(n * kDim);
    for (std::size_t i = had; i < n; ++i)
      embedder.Embed(text.Chunk(rng), vectors.data() + i * kDim);
    // Loaded as the host builds a tenant's index from its chunks.
    VectorIndex index("local", kDim, /*loading=*/true);
    const auto t0 = Clock::now();
    for (std::size_t i = 0; i < n; ++i)
      index.Add(static_cast<std::int64_t>(i), vectors.data() + i * kDim);
    index.Loaded();
    if (index.WantsGraph()) index.BuildGraph();  // the host does this on a thread meanwhile
    const double build = Seconds(t0);

    // Queries: other chunks of the same kind of text, not in the index.
    const int queries = 500;
    std::mt19937 qrng(7);
    std::vector<std::vector<float>> qs;
    for (int q = 0; q < queries; ++q) qs.push_back(embedder.Embed(text.Chunk(qrng)));
    std::size_t found = 0;
    std::vector<double> ms;
    std::vector<std::pair<float, std::size_t>> scored(n);
    for (const auto& q : qs) {
      for (std::size_t i = 0; i < n; ++i)
        scored[i] = {Dot(vectors.data() + i * kDim, q.data(), kDim), i};
      std::partial_sort(scored.begin(), scored.begin() + 10, scored.end(),
                        [](const auto& a, const auto& b) { return a.first > b.first; });
      const auto t1 = Clock::now();
      const auto got = index.Search(q.data(), 10);
      ms.push_back(Seconds(t1) * 1000);
      for (const auto& [score, id] : got)
        for (int k = 0; k < 10; ++k)
          found += scored[static_cast<std::size_t>(k)].second == static_cast<std::size_t>(id);
    }
    std::sort(ms.begin(), ms.end());
    double total = 0;
    for (double m : ms) total += m;
    const auto p = sloth::knowledge::ParamsFor(n);
    std::printf(
        "| %zu | %s | %s | %.1f | %.3f | %.2f | %.2f | %.0f |\n", n,
        index.graph() ? "HNSW" : "exact",
        index.graph()
            ? (std::to_string(index.params().m) + " / " + std::to_string(p.ef_search)).c_str()
            : "-",
        build, static_cast<double>(found) / (queries * 10.0), ms[ms.size() / 2],
        ms[ms.size() * 99 / 100], queries / (total / 1000));
    std::fflush(stdout);
  }
  std::printf("\n(text: %zu sentences of tests/testdata/eval, varied)\n", text.sentences());
  if (argc > 2) {
    std::vector<std::vector<float>> qs;
    std::mt19937 qrng(8);
    for (int q = 0; q < 200; ++q) qs.push_back(embedder.Embed(text.Chunk(qrng)));
    Restart(argv[2], vectors, kDim, qs);
  }
  return 0;
}
