// The knowledge concern on its own: the component built from a pool, a plugin manager and
// the storage component, with no HTTP server and no HostApp. A document stored, ingested by
// its staged job and found again by the Retriever the agent will call.

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "jobs/job_queue.hpp"
#include "jobs/worker_pool.hpp"
#include "knowledge/document_repository.hpp"
#include "knowledge/knowledge.hpp"
#include "storage/blob_store.hpp"
#include "support/test_db.hpp"

namespace sloth::knowledge {
namespace {

TEST(KnowledgeComponent, IngestsAndRetrievesWithoutTheHost) {
  testing::MigratedDatabase db;
  auto& pool = db.pool();
  const auto tenant = db.CreateTenant("Salon");
  const auto data = std::filesystem::temp_directory_path() /
                    ("sloth-knowledge-component-" + std::to_string(getpid()));

  plugins::ManagerOptions mo;
  mo.dirs = {SLOTH_PLUGIN_DIR};
  plugins::HostContext hc;
  hc.pool = &pool;
  hc.plugin_configs = {{"storage-local", {{"data_dir", data.string()}}}};
  plugins::PluginManager plugins(mo, hc);
  plugins.LoadAll();
  storage::BlobStore blobs(plugins, "storage-local");
  blobs.Start();
  KnowledgeOptions ko;
  ko.chunks = {200, 40};
  Knowledge knowledge(pool, plugins, blobs, ko);
  knowledge.Start();
  jobs::WorkerOptions wo;
  wo.backoff_base = std::chrono::seconds(0);
  jobs::WorkerPool workers(pool, "", wo, nullptr);
  knowledge.Register(workers);

  const std::string key = std::to_string(tenant.value) + "/documents/prices.txt";
  blobs.Put(key,
            "Manicure classic: 450 UAH.\n\nGel polish manicure: 650 UAH.\n\nPedicure: 700 UAH.\n\n"
            "We are open Monday to Saturday, 9:00-20:00.",
            "text/plain");
  pool.InTenant(tenant, [&](db::Transaction& tx) {
    NewDocument d;
    d.kind = kDocumentKind;
    d.title = "Prices";
    d.filename = "prices.txt";
    d.format = "txt";
    d.size_bytes = 120;
    d.storage_key = key;
    const auto id = DocumentRepository().Insert(tx, d);
    jobs::EnqueueOptions o;
    o.tenant_id = tenant.value;
    jobs::Enqueue(tx, "knowledge.ingest", {{"document_id", id}}, o);
  });
  // The stale scan queued at Start, then the ingestion.
  EXPECT_EQ(workers.Drain("default"), 2);
  const auto docs = pool.InTenant(
      tenant, [](db::Transaction& tx) { return DocumentRepository().List(tx, "document", 0, 10); });
  ASSERT_EQ(docs.size(), 1u);
  EXPECT_EQ(docs[0].status, "completed") << docs[0].error.value_or("");
  EXPECT_GE(docs[0].chunk_count, 1);

  const auto hits = knowledge.retriever().Search(tenant.value, "how much is a classic manicure", 3);
  ASSERT_FALSE(hits.empty());
  EXPECT_NE(hits[0].text.find("Manicure classic: 450 UAH"), std::string::npos) << hits[0].text;
  EXPECT_EQ(hits[0].title, "Prices");
  EXPECT_EQ(pool.Stats().in_use, 0);  // nothing held after the search

  knowledge.Stop();
  blobs.Stop();
  plugins.Shutdown();
  std::filesystem::remove_all(data);
}

}  // namespace
}  // namespace sloth::knowledge
