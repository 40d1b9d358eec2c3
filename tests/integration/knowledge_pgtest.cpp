// Documents end to end: multipart upload -> storage-local -> ingestion job (parse, chunk,
// local embeddings) -> hybrid search, per tenant.

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/host_app.hpp"
#include "fakes/fake_openai.hpp"
#include "fakes/fake_vision.hpp"
#include "support/host_process.hpp"
#include "support/hostile_files.hpp"
#include "support/test_db.hpp"
#include "support/wait.hpp"

namespace sloth::knowledge {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// A one-page PDF with the text "Gel manicure costs 25 EUR" (objects written by hand; poppler
// rebuilds the cross-reference table).
const std::string kPdf =
    "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    "2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 300 100]/Contents 4 0 R"
    "/Resources<</Font<</F1 5 0 R>>>>>>endobj\n"
    "4 0 obj<</Length 52>>stream\nBT /F1 12 Tf 10 50 Td (Gel manicure costs 25 EUR) Tj ET\n"
    "endstream endobj\n5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\n"
    "trailer<</Root 1 0 R>>\n%%EOF\n";

class KnowledgeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = std::filesystem::temp_directory_path() / ("sloth-kn-" + db_.name());
    const std::string yaml = Yaml("", "knowledge:\n  chunk_size: 150\n  chunk_overlap: 30\n");
    app_ = std::make_unique<app::HostApp>(config::ParseHostConfig(
        yaml, "test.yaml", [](const std::string&) { return std::nullopt; }));
    app_->Start();
  }
  void TearDown() override {
    app_->Stop();
    std::filesystem::remove_all(data_dir_);
  }

  // The host config these tests share: `plugin_config` adds entries under plugins.config,
  // `rest` adds top-level sections.
  std::string Yaml(const std::string& plugin_config = "", const std::string& rest = "",
                   bool workers = true) const {
    return "http:\n  host: 127.0.0.1\n  port: 0\ndatabase:\n  url: \"" + db_.url() +
           "\"\n  pool_size: 8\nplans_file: " + SLOTH_SOURCE_DIR +
           "/config/plans.yaml\nauth:\n  jwt_secret: knowledge-secret-0123456789-abcdefghijk\n"
           "secrets:\n  master_key: \"" +
           std::string(64, 'c') + "\"\njobs:\n  workers: " + (workers ? "true" : "false") +
           "\n  poll_ms: 100\nscheduler:\n  enabled: false\nplugins:\n  dirs: [\"" SLOTH_PLUGIN_DIR
           "\"]\n  config:\n    storage-local: {data_dir: \"" +
           data_dir_.string() + "\"}\n" + plugin_config + rest;
  }

  std::string Register(const std::string& email) {
    auto r = testing::HttpCall(app_->port(), "POST", "/api/auth/register",
                               json{{"email", email},
                                    {"password", "a long passphrase 42"},
                                    {"organization_name", "Salon"},
                                    {"plan", "starter"}}
                                   .dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body)["access_token"];
  }

  testing::HttpResult Upload(const std::string& token, const std::string& filename,
                             const std::string& data, const std::string& title = "") {
    const auto m = testing::Multipart(filename, data, title);
    return testing::HttpCall(app_->port(), "POST", "/api/documents/upload", m.body, token,
                             m.headers);
  }

  // Restarts the host with another configuration (same database and data directory).
  void Restart(const std::string& yaml) {
    app_->Stop();
    app_ = std::make_unique<app::HostApp>(config::ParseHostConfig(
        yaml, "test.yaml", [](const std::string&) { return std::nullopt; }));
    app_->Start();
  }

  // Files under the data directory whose name starts with `prefix` (".tmp-": unfinished).
  int FilesNamed(const std::string& prefix) const {
    int n = 0;
    for (const auto& e : std::filesystem::recursive_directory_iterator(data_dir_)) {
      if (e.is_regular_file() && e.path().filename().string().rfind(prefix, 0) == 0) ++n;
    }
    return n;
  }

  json Usage(const std::string& token) {
    return json::parse(testing::HttpCall(app_->port(), "GET", "/api/subscriptions/usage", "", token)
                           .body)["usage"];
  }

  // Waits for the ingestion job; a 2.5 MB document takes ~9 s under ASan on 2 cores alone,
  // and up to ~60 s while the agent and booking tests run beside it on the same two cores
  // (CI, 2026-11-27), so the bound is generous: it returns as soon as the job is done, and
  // only a job that never finishes meets it.
  json WaitDone(const std::string& token, std::int64_t id) {
    for (int i = 0; i < 2400; ++i) {
      auto r = testing::HttpCall(app_->port(), "GET",
                                 "/api/documents/" + std::to_string(id) + "/status", "", token);
      const auto j = json::parse(r.body);
      if (j["status"] == "completed" || j["status"] == "failed") return j;
      std::this_thread::sleep_for(100ms);
    }
    return {{"status", "still running after 240 s"}};
  }

  json Search(const std::string& token, const std::string& q, const std::string& mode = "hybrid") {
    auto r = testing::HttpCall(app_->port(), "POST", "/api/knowledge/search",
                               json{{"query", q}, {"top_k", 3}, {"mode", mode}}.dump(), token);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body)["results"];
  }

  // Vector search results once a background re-embedding has made some (10 s at most).
  json WaitForVectorHits(const std::string& token, const std::string& q) {
    json hits;
    for (int i = 0; i < 100 && hits.empty(); ++i) {
      std::this_thread::sleep_for(100ms);
      hits = Search(token, q, "vector");
    }
    return hits;
  }

  testing::TestDatabase db_;
  std::filesystem::path data_dir_;
  std::unique_ptr<app::HostApp> app_;
};

TEST_F(KnowledgeTest, UploadedTextAndPdfAreSearchableWithTheirSource) {
  const auto token = Register("kb@salon.test");
  std::string prices =
      "Price list\n\nClassic manicure: 15 EUR. Gel polish manicure: 25 EUR. Pedicure: 30 EUR.\n\n"
      "Policies\n\nCancellations less than 24 hours before the appointment are charged 50%.\n\n"
      "Ціни\n\nМанікюр з покриттям гель-лаком — 600 грн. Педикюр — 700 грн.\n";
  auto up = Upload(token, "prices.txt", prices, "Price list");
  ASSERT_EQ(up.status, 202) << up.body;
  const auto doc = WaitDone(token, json::parse(up.body)["id"]);
  ASSERT_EQ(doc["status"], "completed") << doc.dump();
  EXPECT_GE(doc["chunk_count"].get<int>(), 2);

  auto hits = Search(token, "how much is a pedicure?");
  ASSERT_FALSE(hits.empty());
  EXPECT_NE(hits[0]["text"].get<std::string>().find("Pedicure: 30 EUR"), std::string::npos)
      << hits.dump();
  EXPECT_EQ(hits[0]["source"]["title"], "Price list");
  hits = Search(token, "скільки коштує педикюр");
  ASSERT_FALSE(hits.empty());
  EXPECT_NE(hits[0]["text"].get<std::string>().find("700 грн"), std::string::npos) << hits.dump();
  EXPECT_FALSE(Search(token, "cancellations", "text").empty());
  EXPECT_FALSE(Search(token, "cancellation fee", "vector").empty());

  up = Upload(token, "menu.pdf", kPdf);
  ASSERT_EQ(up.status, 202) << up.body;
  const auto pdf = WaitDone(token, json::parse(up.body)["id"]);
  ASSERT_EQ(pdf["status"], "completed") << pdf.dump();
  EXPECT_EQ(pdf["format"], "pdf");
  hits = Search(token, "gel manicure EUR");
  bool from_pdf = false;
  for (const auto& h : hits) from_pdf |= h["source"].value("page", 0) == 1;
  EXPECT_TRUE(from_pdf) << hits.dump();

  // Deleting a document removes its chunks from search.
  EXPECT_EQ(
      testing::HttpCall(app_->port(), "DELETE", "/api/documents/" + doc["id"].dump(), "", token)
          .status,
      204);
  for (const auto& h : Search(token, "pedicure")) EXPECT_NE(h["source"]["id"], doc["id"]);
}

TEST_F(KnowledgeTest, BadFilesFailWithAReasonAndTenantsNeverSeeEachOther) {
  const auto a = Register("a@kb.test");
  const auto b = Register("b@kb.test");
  // Latin-1 text: stored, then failed with a reason.
  auto up = Upload(a, "old.txt",
                   "Caf\xE9"
                   " cr\xE8"
                   "me br\xFB"
                   "l\xE9"
                   "e");
  ASSERT_EQ(up.status, 202);
  auto st = WaitDone(a, json::parse(up.body)["id"]);
  EXPECT_EQ(st["status"], "failed");
  EXPECT_NE(st["error"].get<std::string>().find("UTF-8"), std::string::npos);
  // A truncated PDF fails, the host keeps serving.
  up = Upload(a, "broken.pdf", kPdf.substr(0, 40));
  ASSERT_EQ(up.status, 202);
  EXPECT_EQ(WaitDone(a, json::parse(up.body)["id"])["status"], "failed");
  // A PNG named .txt is refused by its bytes.
  up = Upload(a, "notes.txt", std::string("\x89PNG\r\n\x1A\n", 8) + std::string(100, '\0'));
  EXPECT_EQ(up.status, 415) << up.body;
  EXPECT_EQ(Upload(a, "empty.txt", "").status, 400);

  up = Upload(a, "secret.txt", "Our secret supplier is Nail Wholesale Kyiv.");
  ASSERT_EQ(WaitDone(a, json::parse(up.body)["id"])["status"], "completed");
  EXPECT_FALSE(Search(a, "secret supplier").empty());
  // Query syntax of any kind is only text: no error, and stop words alone find nothing.
  EXPECT_FALSE(Search(a, "it's \\ 'secret' : & | ! suppliers:*", "text").empty());
  EXPECT_TRUE(Search(a, "how is it?", "text").empty());
  EXPECT_TRUE(Search(b, "secret supplier").empty());
  EXPECT_TRUE(Search(b, "secret supplier", "vector").empty());
  EXPECT_EQ(
      testing::HttpCall(app_->port(), "GET",
                        "/api/documents/" + json::parse(up.body)["id"].dump() + "/status", "", b)
          .status,
      404);
}

std::string ReadFile(const std::string& name) {
  std::ifstream in(std::string(SLOTH_SOURCE_DIR) + "/tests/testdata/" + name, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST_F(KnowledgeTest, FilesMadeByLibreOfficeAndDamagedOnes) {
  const auto token = Register("office@kb.test");
  struct Case {
    std::string file, status, query, expect;
  };
  const std::vector<Case> cases = {
      {"prices.docx", "completed", "gel polish manicure price",
       "Gel polish manicure | 75 min | 25 EUR"},
      {"prices.pdf", "completed", "spa pedicure", "Spa pedicure"},
      {"schedule.xlsx", "completed", "opening hours saturday", "Saturday | 10:00-16:00"},
      {"prices-encrypted.pdf", "failed", "", "password"},
  };
  for (const auto& c : cases) {
    const std::string data = ReadFile(c.file);
    ASSERT_FALSE(data.empty()) << c.file;
    const auto up = Upload(token, c.file, data);
    ASSERT_EQ(up.status, 202) << c.file << ": " << up.body;
    const auto st = WaitDone(token, json::parse(up.body)["id"]);
    ASSERT_EQ(st["status"], c.status) << c.file << ": " << st.dump();
    if (c.status == "failed") {
      EXPECT_NE(st["error"].get<std::string>().find(c.expect), std::string::npos) << st.dump();
      continue;
    }
    const auto hits = Search(token, c.query);
    bool found = false;
    for (const auto& h : hits)
      found |= h["text"].get<std::string>().find(c.expect) != std::string::npos;
    EXPECT_TRUE(found) << c.file << ": " << hits.dump();
  }
  const auto xlsx_hits = Search(token, "Olena nail art");
  ASSERT_FALSE(xlsx_hits.empty());
  EXPECT_EQ(xlsx_hits[0]["source"]["label"], "sheet Masters");

  // Damaged and hostile files fail with their reason; the host keeps serving.
  const std::string docx = ReadFile("prices.docx");
  const std::string wide_doctype = testing::Utf16(
      R"(<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d [<!ENTITY e "x">]><d>&e;</d>)");
  struct Hostile {
    std::string name, data, reason;
  };
  for (const auto& c : std::vector<Hostile>{
           {"cut.docx", docx.substr(0, docx.size() / 3), "not a readable Office document"},
           {"cut.pdf", ReadFile("prices.pdf").substr(0, 2000), "damaged or truncated"},
           {"garbage.xlsx", "PK\x03\x04" + std::string(500, 'x'), "not a readable Office"},
           {"amplified.xlsx", testing::XlsxAmplification(100000, 40000), "bytes of text"},
           {"wide.docx", testing::ZipOf({{"word/document.xml", wide_doctype}}), "DOCTYPE"}}) {
    const auto up = Upload(token, c.name, c.data);
    ASSERT_EQ(up.status, 202) << c.name << ": " << up.body;
    const auto st = WaitDone(token, json::parse(up.body)["id"]);
    EXPECT_EQ(st["status"], "failed") << c.name << ": " << st.dump();
    EXPECT_NE(st["error"].get<std::string>().find(c.reason), std::string::npos)
        << c.name << ": " << st.dump();
  }
  EXPECT_EQ(testing::HttpCall(app_->port(), "GET", "/api/documents", "", token).status, 200);
}

// The shipped evaluation set (tests/testdata/eval): a salon's price lists, service
// descriptions, FAQ, policies, aftercare, team and loyalty pages in English and Ukrainian,
// and 111 labelled questions. A question is a hit when a top-5 chunk contains its answer.
// Run at the default chunking (1000/200, as a salon gets it; hybrid must reach 0.9) and at
// 300/60 (three times the chunks: a harder ranking). Prints the tables recorded in
// bench/RESULTS.md.
class KnowledgeEvalTest : public KnowledgeTest {};

TEST_F(KnowledgeEvalTest, HybridRetrievalAnswersNineInTenAtFive) {
  Restart(Yaml());
  std::vector<std::string> files;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(SLOTH_SOURCE_DIR) + "/tests/testdata/eval"))
    if (e.path().extension() == ".md") files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 10u);
  const auto questions = json::parse(ReadFile("eval/questions.json"));
  ASSERT_GE(questions.size(), 60u);
  const double n = static_cast<double>(questions.size());

  auto evaluate = [&](const std::string& email, const json& settings) {
    const auto token = Register(email);
    if (!settings.empty()) {
      const auto r =
          testing::HttpCall(app_->port(), "PUT", "/api/knowledge/settings", settings.dump(), token);
      EXPECT_EQ(r.status, 200) << r.body;
    }
    for (const auto& f : files) {
      const auto up = Upload(token, f, ReadFile("eval/" + f));
      EXPECT_EQ(up.status, 202) << up.body;
      EXPECT_EQ(WaitDone(token, json::parse(up.body)["id"])["status"], "completed") << f;
    }
    std::map<std::string, int> hits, firsts;
    std::vector<std::string> missed;
    for (const auto& q : questions) {
      for (const char* mode : {"vector", "text", "hybrid"}) {
        auto r =
            testing::HttpCall(app_->port(), "POST", "/api/knowledge/search",
                              json{{"query", q["q"]}, {"top_k", 5}, {"mode", mode}}.dump(), token);
        EXPECT_EQ(r.status, 200);
        const json results = json::parse(r.body)["results"];
        int rank = 0;
        for (std::size_t i = 0; i < results.size() && !rank; ++i) {
          if (results[i]["text"].get<std::string>().find(q["a"].get<std::string>()) !=
              std::string::npos)
            rank = static_cast<int>(i) + 1;
        }
        hits[mode] += rank > 0;
        firsts[mode] += rank == 1;
        if (!rank && std::string(mode) == "hybrid") missed.push_back(q["q"]);
      }
    }
    const auto chunks = app_->pool().InTransaction([&](db::Transaction& tx) {
      const auto t =
          tx.Exec("SELECT tenant_id FROM public.users WHERE email = $1", email).Int(0, 0);
      return tx.Exec("SELECT count(*) FROM tenant_" + std::to_string(t) + ".chunks").Int(0, 0);
    });
    std::printf(
        "| retrieval (local embedder, %zu documents, %zu questions, %lld chunks of %s) | hit@1 | "
        "hit@5 |\n|---|---|---|\n",
        files.size(), questions.size(), static_cast<long long>(chunks),
        settings.empty() ? "1000/200" : "300/60");
    for (const char* mode : {"vector", "text", "hybrid"})
      std::printf("| %s | %.3f | %.3f |\n", mode, firsts[mode] / n, hits[mode] / n);
    for (const auto& m : missed) std::printf("missed (hybrid): %s\n", m.c_str());
    return hits["hybrid"] / n;
  };
  EXPECT_GE(evaluate("eval@kb.test", json::object()), 0.9);
  evaluate("eval-small@kb.test", {{"chunk_size", 300}, {"chunk_overlap", 60}});
}

TEST_F(KnowledgeTest, TheVectorIndexIsPerTenantFreshAcrossHostsAndRebuiltIdentically) {
  const auto a = Register("index-a@kb.test");
  const auto b = Register("index-b@kb.test");
  auto ingest = [&](const std::string& token, const std::string& name, const std::string& text) {
    const auto up = Upload(token, name, text);
    EXPECT_EQ(up.status, 202) << up.body;
    const auto st = WaitDone(token, json::parse(up.body)["id"]);
    EXPECT_EQ(st["status"], "completed");
    return st["id"].get<std::int64_t>();
  };
  const auto prices = ReadFile("eval/prices_en.md");
  const auto doc_a = ingest(a, "prices.md", prices);
  ingest(b, "faq.md", ReadFile("eval/faq_en.md"));
  const auto before = Search(a, "gel extensions refill", "vector");
  ASSERT_FALSE(before.empty());
  Search(b, "parking", "vector");

  // Directly against the indexes: each holds its own tenant's chunk ids only.
  auto ids_of = [&](const std::string& email) {
    return app_->pool().InTransaction([&](db::Transaction& tx) {
      const auto t =
          tx.Exec("SELECT tenant_id FROM public.users WHERE email = $1", email).Int(0, 0);
      std::vector<std::int64_t> ids;
      auto r = tx.Exec("SELECT id FROM tenant_" + std::to_string(t) + ".chunks ORDER BY id");
      for (int i = 0; i < r.Rows(); ++i) ids.push_back(r.Int(i, 0));
      return std::make_pair(t, ids);
    });
  };
  const auto [ta, chunks_a] = ids_of("index-a@kb.test");
  const auto [tb, chunks_b] = ids_of("index-b@kb.test");
  auto& indexes = app_->knowledge().indexes();
  ASSERT_TRUE(indexes.Built(ta));
  ASSERT_TRUE(indexes.Built(tb));
  EXPECT_EQ(indexes.Ids(ta), chunks_a);
  EXPECT_EQ(indexes.Ids(tb), chunks_b);

  // A second host on the same database changes tenant A: this host hears it and its next
  // search catches up with PostgreSQL (the chunks gone), without loading the index again.
  const auto before_change = indexes.counts();
  {
    auto other = std::make_unique<app::HostApp>(
        config::ParseHostConfig(Yaml("", "", /*workers=*/false), "other.yaml",
                                [](const std::string&) { return std::nullopt; }));
    other->Start();
    // through the other host's service
    other->knowledge().uploads().Delete(other->pool(), ta, doc_a, "document");
    other->Stop();
  }
  ASSERT_TRUE(testing::WaitUntil([&] { return indexes.Behind(ta); }, 5s, 100ms))
      << "the notification did not reach this host";
  EXPECT_FALSE(indexes.Behind(tb));
  EXPECT_TRUE(Search(a, "gel extensions refill", "vector").empty());
  EXPECT_FALSE(indexes.Behind(ta));
  EXPECT_TRUE(indexes.Ids(ta).empty());
  EXPECT_EQ(indexes.Ids(tb), chunks_b);
  EXPECT_EQ(indexes.counts().loads, before_change.loads);
  EXPECT_EQ(indexes.counts().catch_ups, before_change.catch_ups + 1);

  // This host's own upload: applied at once, and caught up with once it committed.
  const auto doc2 = ingest(a, "prices-again.md", prices);
  (void)doc2;
  ASSERT_TRUE(testing::WaitUntil([&] { return indexes.Behind(ta); }, 5s, 100ms))
      << "this host did not hear its own change";
  const auto first = Search(a, "gel extensions refill", "vector");
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(indexes.Ids(ta), ids_of("index-a@kb.test").second);
  EXPECT_EQ(indexes.counts().loads, before_change.loads);

  // Restart: the index is loaded from PostgreSQL with identical results.
  app_->Stop();
  app_.reset();
  SetUp();
  EXPECT_FALSE(app_->knowledge().indexes().Built(ta));
  const auto again = Search(a, "gel extensions refill", "vector");
  ASSERT_EQ(first.size(), again.size());
  for (std::size_t i = 0; i < first.size(); ++i)
    EXPECT_EQ(first[i]["chunk_id"], again[i]["chunk_id"]);
}

TEST_F(KnowledgeTest, ALargeIndexAnswersAtOnceAndGetsItsGraphOnAThreadOfItsOwn) {
  // A limit of 2,000 at dimension 128: the graph takes a few hundred milliseconds to build
  // (the searches are answered well before), and not minutes under the sanitizers at nice 10
  // on cores busy with other tests (10,000 at dimension 64 took over 120 s there).
  constexpr std::int64_t kLimit = 2000;
  Restart(Yaml("    local-embedder: {dimension: 128}\n",
               "knowledge:\n  exact_search_limit: " + std::to_string(kLimit) + "\n"));
  const auto token = Register("large-index@kb.test");
  const auto up = Upload(token, "prices.md", ReadFile("eval/prices_en.md"));
  ASSERT_EQ(WaitDone(token, json::parse(up.body)["id"])["status"], "completed");
  // Past the exact limit with vectors written straight into the tenant's chunks.
  const auto tenant = app_->pool().InTransaction([&](db::Transaction& tx) {
    const auto t = tx.Exec("SELECT tenant_id FROM public.users WHERE email = $1",
                           std::string("large-index@kb.test"))
                       .Int(0, 0);
    const std::string schema = "tenant_" + std::to_string(t);
    tx.Exec(
        "INSERT INTO " + schema +
            ".chunks (document_id, position, text, tsv, embedding, model) "
            "SELECT c.document_id, 1000 + g, 'filler', to_tsvector('simple', 'filler'), "
            "(SELECT array_agg(x / norm)::real[] FROM (SELECT x, sqrt(sum(x * x) OVER ()) "
            "AS norm FROM (SELECT random() - 0.5 AS x FROM generate_series(1, 128) WHERE g > 0) "
            "r) u), c.model FROM (SELECT document_id, model FROM " +
            schema + ".chunks LIMIT 1) c, generate_series(1, $1) g",
        kLimit + 50);
    return t;
  });
  // The query is most of a real chunk's text: its nearest neighbour stands far above the
  // random fillers (a short query scored near them, and the approximate graph once ranked a
  // filler first, as approximate search may in a near tie). Cut at a line end, within the
  // API's 1,000 characters.
  const std::string query = app_->pool().InTransaction([&](db::Transaction& tx) {
    std::string text = tx.Exec("SELECT text FROM tenant_" + std::to_string(tenant) +
                               ".chunks WHERE position < 1000 ORDER BY id LIMIT 1")
                           .Text(0, 0);
    if (text.size() > 900) text.resize(text.rfind('\n', 900));
    return text;
  });
  ASSERT_GT(query.size(), 100u);
  auto& indexes = app_->knowledge().indexes();
  const auto before = indexes.counts();

  // Four first searches at once: one loads, the others wait for it; none waits for a graph.
  std::vector<json> found(4);
  std::vector<std::thread> searches;
  for (std::size_t i = 0; i < found.size(); ++i)
    searches.emplace_back([&, i] { found[i] = Search(token, query, "vector"); });
  for (auto& t : searches) t.join();
  EXPECT_FALSE(indexes.Graph(tenant)) << "a search waited for the graph";
  EXPECT_EQ(indexes.counts().loads, before.loads + 1);
  ASSERT_FALSE(found[0].empty());
  for (const auto& f : found) EXPECT_EQ(f, found[0]);
  EXPECT_EQ(indexes.Ids(tenant).size(),
            static_cast<std::size_t>(kLimit + 50) +
                static_cast<std::size_t>(app_->pool().InTransaction([&](db::Transaction& tx) {
                  return tx
                      .Exec("SELECT count(*) FROM tenant_" + std::to_string(tenant) +
                            ".chunks WHERE position < 1000")
                      .Int(0, 0);
                })));

  testing::WaitUntil([&] { return indexes.Graph(tenant); }, 300s, 100ms);
  ASSERT_TRUE(indexes.Graph(tenant));
  EXPECT_EQ(indexes.counts().graphs, before.graphs + 1);
  EXPECT_EQ(indexes.counts().loads, before.loads + 1);
  // The graph finds what the scan found.
  const auto through_graph = Search(token, query, "vector");
  ASSERT_FALSE(through_graph.empty());
  EXPECT_EQ(through_graph[0]["chunk_id"], found[0][0]["chunk_id"]);
  EXPECT_EQ(found[0][0]["text"].get<std::string>().rfind(query, 0), 0u);  // the chunk queried
}

TEST_F(KnowledgeTest, PhotosWithoutAVisionProviderAreKeptUnanalysed) {
  const auto token = Register("photo-offline@kb.test");
  const std::string jpeg = std::string("\xFF\xD8\xFF\xE0", 4) + "fake jpeg body";
  auto up = testing::HttpCall(app_->port(), "GET", "/api/photos", "", token);
  EXPECT_EQ(up.status, 200);
  const std::string boundary = "b0undary";
  const std::string body = "--" + boundary +
                           "\r\nContent-Disposition: form-data; name=\"file\"; "
                           "filename=\"nails.jpg\"\r\n\r\n" +
                           jpeg + "\r\n--" + boundary + "--\r\n";
  up = testing::HttpCall(app_->port(), "POST", "/api/photos/upload", body, token,
                         {{"Content-Type", "multipart/form-data; boundary=" + boundary}});
  ASSERT_EQ(up.status, 202) << up.body;
  const auto id = json::parse(up.body)["id"].get<std::int64_t>();
  json a;
  for (int i = 0; i < 50; ++i) {
    a = json::parse(testing::HttpCall(app_->port(), "GET",
                                      "/api/photos/" + std::to_string(id) + "/analysis", "", token)
                        .body);
    if (a["status"] == "completed") break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(a["status"], "completed");
  EXPECT_EQ(a["analysis"]["skipped"], "no vision provider is configured");
}

class VisionTest : public KnowledgeTest {
 protected:
  void SetUp() override {
    setenv("SLOTH_PLUGIN_VISION_API_KEY", "vision-key-123", 1);
    data_dir_ = std::filesystem::temp_directory_path() / ("sloth-kv-" + db_.name());
    const std::string yaml =
        Yaml("",
             "knowledge:\n  vision_plugin: vision\noutbound_http:\n  allow_private: true\n"
             "  rewrite:\n    \"https://vision.googleapis.com\": \"" +
                 fake_.base_url() + "\"\n");
    app_ = std::make_unique<app::HostApp>(config::ParseHostConfig(
        yaml, "test.yaml", [](const std::string&) { return std::nullopt; }));
    app_->Start();
  }
  fakes::FakeVision fake_{"vision-key-123"};
};

TEST_F(VisionTest, PhotosAreAnalysedAndTheirTextAndLabelsSearchable) {
  const auto token = Register("photo@kb.test");
  auto upload = [&](const std::string& name, const std::string& data) {
    const std::string boundary = "b0undary";
    const std::string body = "--" + boundary +
                             "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                             name + "\"\r\n\r\n" + data + "\r\n--" + boundary + "--\r\n";
    return testing::HttpCall(app_->port(), "POST", "/api/photos/upload", body, token,
                             {{"Content-Type", "multipart/form-data; boundary=" + boundary}});
  };
  auto analysis = [&](std::int64_t id) {
    json a;
    for (int i = 0; i < 50; ++i) {
      a = json::parse(testing::HttpCall(app_->port(), "GET",
                                        "/api/photos/" + std::to_string(id) + "/analysis", "",
                                        token)
                          .body);
      if (a["status"] == "completed" || a["status"] == "failed") break;
      std::this_thread::sleep_for(100ms);
    }
    return a;
  };
  auto up = upload("window.jpg", std::string("\xFF\xD8\xFF\xE0", 4) + "a photo of our window");
  ASSERT_EQ(up.status, 202) << up.body;
  const auto a = analysis(json::parse(up.body)["id"]);
  ASSERT_EQ(a["status"], "completed") << a.dump();
  EXPECT_EQ(a["analysis"]["labels"][0]["name"], "Nail polish");
  EXPECT_EQ(a["analysis"]["text"], "SPRING SALE -20%\n");
  EXPECT_EQ(a["analysis"]["objects"][0]["name"], "Hand");
  EXPECT_EQ(a["analysis"]["faces"], 0);
  const auto hits = Search(token, "spring sale");
  ASSERT_FALSE(hits.empty());
  EXPECT_EQ(hits[0]["source"]["type"], "photo");
  EXPECT_NE(hits[0]["text"].get<std::string>().find("Nail polish"), std::string::npos);

  // A per-image error from Vision: failed with its reason; nothing else affected.
  up = upload("bad.png", std::string("\x89PNG\r\n\x1A\n", 8) + "unreadable");
  ASSERT_EQ(up.status, 202);
  const auto bad = analysis(json::parse(up.body)["id"]);
  EXPECT_EQ(bad["status"], "failed");
  EXPECT_NE(bad["error"].get<std::string>().find("Bad image data"), std::string::npos);
  // Not a photo by its bytes.
  EXPECT_EQ(upload("fake.jpg", "%PDF-1.4 not a photo").status, 415);
}

// The OpenAI embedder against a fake OpenAI, and the re-embed job after a model change.
TEST_F(KnowledgeTest, ANewDefaultModelReembedsEveryOrganisationByItself) {
  const auto token = Register("rebuild@kb.test");
  const auto up = Upload(token, "prices.md", ReadFile("eval/prices_en.md"));
  ASSERT_EQ(WaitDone(token, json::parse(up.body)["id"])["status"], "completed");
  ASSERT_FALSE(Search(token, "gel extensions refill", "vector").empty());

  fakes::FakeOpenAi openai("sk-fake-openai");
  openai.RateLimitNext(1);  // the first call is told to wait 300 ms, then succeeds
  setenv("SLOTH_PLUGIN_OPENAI_API_KEY", "sk-fake-openai", 1);
  // The host restarts with another default model: its start-up scan queues the
  // organisation's rebuild; nobody asks for it.
  Restart(Yaml("    openai: {dimensions: 256}\n",
               "knowledge:\n  embedder_plugin: openai\noutbound_http:\n  allow_private: true\n"
               "  rewrite:\n    \"https://api.openai.com\": \"" +
                   openai.base_url() + "\"\n"));
  ASSERT_FALSE(WaitForVectorHits(token, "gel extensions refill").empty());
  EXPECT_FALSE(openai.server().Requests().empty());
  const auto r = testing::HttpCall(app_->port(), "POST", "/api/knowledge/rebuild", "{}", token);
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(json::parse(r.body)["stale_chunks"], 0);
  EXPECT_EQ(app_->pool().InTransaction(
                [&](db::Transaction& tx) { return app_->knowledge().ingestion().ScanStale(tx); }),
            0);
}

TEST_F(KnowledgeTest, PerTenantSettingsCutAndStemTheirDocuments) {
  const auto token = Register("settings@kb.test");
  auto put = [&](const json& body) {
    return testing::HttpCall(app_->port(), "PUT", "/api/knowledge/settings", body.dump(), token);
  };
  auto bad = put({{"chunk_size", 100}, {"chunk_overlap", 80}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["error"]["field"], "chunk_overlap");
  EXPECT_EQ(put({{"embedding_model", "x"}}).status, 400);
  auto ok = put({{"chunk_size", 200}, {"chunk_overlap", 40}, {"language", "en"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["text_search_config"], "english");
  const auto up = Upload(token, "policies.md", ReadFile("eval/policies_en.md"));
  const auto st = WaitDone(token, json::parse(up.body)["id"]);
  ASSERT_EQ(st["status"], "completed");
  EXPECT_GE(st["chunk_count"].get<int>(), 5);  // 200-character chunks
  // English stemming: "cancelling" finds "Cancellations"; 'simple' would not.
  const auto hits = Search(token, "cancelling", "text");
  ASSERT_FALSE(hits.empty());
  EXPECT_NE(hits[0]["text"].get<std::string>().find("Cancel"), std::string::npos);
}

TEST_F(KnowledgeTest, WeeklyCleanupRemovesOnlyOrphanedFiles) {
  const auto token = Register("cleanup@kb.test");
  const auto up = Upload(token, "faq.md", ReadFile("eval/faq_en.md"));
  ASSERT_EQ(WaitDone(token, json::parse(up.body)["id"])["status"], "completed");
  const auto tenant = app_->pool().InTransaction(
      [](db::Transaction& tx) { return tx.Exec("SELECT id FROM public.tenants").Int(0, 0); });
  const std::string orphan = std::to_string(tenant) + "/documents/999.txt";
  app_->storage().Put(orphan, "left behind", "application/octet-stream");
  ASSERT_TRUE(std::filesystem::exists(data_dir_ / orphan));
  const int removed = app_->knowledge().ingestion().CleanupOrphans();
  EXPECT_EQ(removed, 1);
  EXPECT_FALSE(std::filesystem::exists(data_dir_ / orphan));
  const std::string kept = app_->pool().InTenant(db::TenantId{tenant}, [](db::Transaction& tx) {
    return tx.Exec("SELECT storage_key FROM documents").Text(0, 0);
  });
  EXPECT_EQ(kept.rfind(std::to_string(tenant) + "/documents/", 0), 0u) << kept;
  EXPECT_TRUE(std::filesystem::exists(data_dir_ / kept)) << kept;
}

// A text of `n` bytes, lines a reader could search ("Line 17: ...").
std::string LongText(std::size_t n) {
  std::string s;
  for (int i = 0; s.size() < n; ++i)
    s += "Line " + std::to_string(i) + ": gel polish, lash lift and brow tint for every client.\n";
  s.resize(n);
  return s;
}

TEST_F(KnowledgeTest, UploadsStreamToStorageAndStopAtTheirLimit) {
  // Workers off: this is about the upload path, and ingesting 2.5 MB took over two minutes
  // under ASan on CI's machine (4 s in the release build) for nothing this test checks.
  Restart(Yaml("", "knowledge:\n  max_upload_bytes: 3000000\n", /*workers=*/false));
  const auto token = Register("stream@kb.test");
  // 2.5 MB: three parts of the storage plugin's streamed write, stored byte for byte.
  const std::string text = LongText(2500000);
  auto up = Upload(token, "long.txt", text);
  ASSERT_EQ(up.status, 202) << up.body;
  const std::string key = app_->pool().InTransaction([](db::Transaction& tx) {
    const auto t = tx.Exec("SELECT id FROM public.tenants").Int(0, 0);
    return tx.Exec("SELECT storage_key FROM tenant_" + std::to_string(t) + ".documents").Text(0, 0);
  });
  std::ifstream stored(data_dir_ / key, std::ios::binary);
  EXPECT_TRUE(std::string(std::istreambuf_iterator<char>(stored), {}) == text);
  EXPECT_EQ(Usage(token)["storage_mb"]["used"], 3);
  EXPECT_EQ(Usage(token)["documents"]["used"], 1);

  // Over the limit, sent without a Content-Length (chunked) so only reading can tell:
  // 413 naming the file, nothing stored, nothing counted.
  Poco::Net::HTTPClientSession session("127.0.0.1", static_cast<Poco::UInt16>(app_->port()));
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/api/documents/upload",
                             Poco::Net::HTTPMessage::HTTP_1_1);
  req.setChunkedTransferEncoding(true);
  req.set("Authorization", "Bearer " + token);
  const auto huge = testing::Multipart("huge.txt", LongText(3100000));
  req.setContentType(huge.headers.at("Content-Type"));
  session.sendRequest(req) << huge.body;
  Poco::Net::HTTPResponse resp;
  std::string body;
  Poco::StreamCopier::copyToString(session.receiveResponse(resp), body);
  EXPECT_EQ(resp.getStatus(), 413) << body;
  EXPECT_EQ(json::parse(body)["error"]["field"], "file");
  EXPECT_EQ(Usage(token)["storage_mb"]["used"], 3);
  EXPECT_EQ(Usage(token)["documents"]["used"], 1);

  // A client gone halfway through its body: nothing stored, the host keeps serving.
  const auto uploads_answered = [&] {
    // Every answer of the upload route, whatever its status: the metric's sum.
    double n = 0;
    std::istringstream lines(app_->metrics().Render());
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("sloth_http_requests_total{", 0) == 0 &&
          line.find("route=\"/api/documents/upload\"") != std::string::npos) {
        n += std::stod(line.substr(line.rfind(' ') + 1));
      }
    }
    return n;
  };
  const double answered = uploads_answered();
  {
    Poco::Net::StreamSocket s(Poco::Net::SocketAddress("127.0.0.1", app_->port()));
    const auto cut = testing::Multipart("cut.txt", LongText(2000000));
    const std::string part = cut.body.substr(0, 700000);
    const std::string head =
        "POST /api/documents/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + token +
        "\r\nContent-Type: " + cut.headers.at("Content-Type") +
        "\r\nContent-Length: 2000300\r\n\r\n";
    s.sendBytes(head.data(), static_cast<int>(head.size()));
    s.sendBytes(part.data(), static_cast<int>(part.size()));
    // Closed only once the host is reading it, so the cut lands mid-body.
    testing::WaitUntil(
        [&] {
          return app_->metrics().Render().find("sloth_http_requests_in_flight 1\n") !=
                 std::string::npos;
        },
        10s);
    s.close();
  }
  // The cut request has been dealt with once the host counted its answer.
  testing::WaitUntil([&] { return uploads_answered() != answered; }, 10s);
  ASSERT_EQ(uploads_answered(), answered + 1);
  EXPECT_EQ(FilesNamed(".tmp-"), 0);
  EXPECT_EQ(Usage(token)["documents"]["used"], 1);
  // The accepted upload waits for its ingestion, whole.
  const auto st =
      json::parse(testing::HttpCall(
                      app_->port(), "GET",
                      "/api/documents/" + json::parse(up.body)["id"].dump() + "/status", "", token)
                      .body);
  EXPECT_EQ(st["status"], "pending") << st;
  EXPECT_EQ(st["size_bytes"], 2500000);
  EXPECT_EQ(app_->pool().InTransaction([](db::Transaction& tx) {
    return tx
        .Exec(
            "SELECT count(*) FROM public.jobs WHERE kind = 'knowledge.ingest' AND state = "
            "'queued'")
        .Int(0, 0);
  }),
            1);
  int blobs = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(data_dir_))
    blobs += e.is_regular_file() ? 1 : 0;
  EXPECT_EQ(blobs, 1);  // the one recorded upload, nothing else
}

TEST_F(KnowledgeTest, AStoragePluginBuiltForAbi10GetsWholeUploads) {
  // frozen-c was built against the 1.0 header: no streamed writes, so the host gathers the
  // upload and calls put once.
  std::string yaml = Yaml("", "knowledge:\n  storage_plugin: frozen-c\n");
  const std::string dirs = "dirs: [\"" SLOTH_PLUGIN_DIR "\"";
  yaml.replace(yaml.find(dirs), dirs.size(), dirs + ", \"" SLOTH_TEST_PLUGIN_DIR "\"");
  Restart(yaml);
  const auto token = Register("abi10@kb.test");
  const auto up = Upload(token, "prices.md", ReadFile("eval/prices_en.md"));
  ASSERT_EQ(up.status, 202) << up.body;
  ASSERT_EQ(WaitDone(token, json::parse(up.body)["id"])["status"], "completed");
  EXPECT_FALSE(Search(token, "gel extensions refill").empty());
  EXPECT_FALSE(std::filesystem::exists(data_dir_ / "1"));  // not in storage-local's folder
  const int removed = app_->knowledge().ingestion().CleanupOrphans();
  EXPECT_EQ(removed, 0);
}

TEST_F(KnowledgeTest, EachOrganisationEmbedsWithTheModelItChose) {
  fakes::FakeOpenAi openai("sk-fake-openai");
  setenv("SLOTH_PLUGIN_OPENAI_API_KEY", "sk-fake-openai", 1);
  Restart(
      Yaml("",
           "knowledge:\n  embedding_models:\n    openai-small:\n      plugin: openai\n"
           "      config: {embedding_model: text-embedding-3-small, dimensions: 256}\n"
           "outbound_http:\n  allow_private: true\n  rewrite:\n    \"https://api.openai.com\": \"" +
               openai.base_url() + "\"\n"));
  const auto a = Register("model-a@kb.test");
  const auto b = Register("model-b@kb.test");
  for (const auto& token : {a, b}) {
    const auto up = Upload(token, "prices.md", ReadFile("eval/prices_en.md"));
    ASSERT_EQ(WaitDone(token, json::parse(up.body)["id"])["status"], "completed");
  }
  EXPECT_TRUE(openai.server().Requests().empty());  // both on the default, local model

  auto got =
      json::parse(testing::HttpCall(app_->port(), "GET", "/api/knowledge/settings", "", b).body);
  EXPECT_EQ(got["embedding_model"], "local-embedder");
  EXPECT_EQ(got["embedding_models"], json::array({"local-embedder", "openai-small"}));
  auto put = [&](const json& body) {
    return testing::HttpCall(app_->port(), "PUT", "/api/knowledge/settings", body.dump(), b);
  };
  const auto bad = put({{"embedding_model", "gpt-9"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body)["error"]["field"], "embedding_model");
  const auto ok = put({{"embedding_model", "openai-small"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["embedding_model"], "openai-small");

  // The change queued B's re-embedding by itself; vector search answers again once done.
  ASSERT_FALSE(WaitForVectorHits(b, "gel extensions refill").empty());
  EXPECT_FALSE(openai.server().Requests().empty());
  auto models = [&](const std::string& email) {
    return app_->pool().InTransaction([&](db::Transaction& tx) {
      const auto t =
          tx.Exec("SELECT tenant_id FROM public.users WHERE email = $1", email).Int(0, 0);
      auto r = tx.Exec("SELECT DISTINCT model, array_length(embedding, 1) FROM tenant_" +
                       std::to_string(t) + ".chunks ORDER BY 1");
      std::vector<std::string> out;
      for (int i = 0; i < r.Rows(); ++i) out.push_back(r.Text(i, 0) + "/" + r.Text(i, 1));
      return out;
    });
  };
  EXPECT_EQ(models("model-b@kb.test"), std::vector<std::string>{"openai-small/256"});
  EXPECT_EQ(models("model-a@kb.test"), std::vector<std::string>{"local-embedder/384"});
  // A's searches still use its own model, and new uploads of B use B's.
  openai.server().ClearRequests();
  EXPECT_FALSE(Search(a, "gel extensions refill", "vector").empty());
  EXPECT_TRUE(openai.server().Requests().empty());
  const auto up = Upload(b, "faq.md", ReadFile("eval/faq_en.md"));
  ASSERT_EQ(WaitDone(b, json::parse(up.body)["id"])["status"], "completed");
  EXPECT_EQ(models("model-b@kb.test"), std::vector<std::string>{"openai-small/256"});
}

}  // namespace
}  // namespace sloth::knowledge
