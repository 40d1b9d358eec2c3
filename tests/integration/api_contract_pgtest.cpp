// The API contract: the OpenAPI document lists exactly the routes the host serves, every
// schema in it is usable, and it is served as JSON and as a page that needs nothing from
// elsewhere. (Every answer the other integration tests receive is validated against it in
// testing::HttpCall.)

#include <algorithm>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/host_app.hpp"
#include "plugins/json_schema.hpp"
#include "support/api_contract.hpp"
#include "support/host_process.hpp"
#include "support/test_db.hpp"

namespace sloth {
namespace {

using json = nlohmann::json;

class ApiContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string yaml =
        "http:\n  host: 127.0.0.1\n  port: 0\n  public_url: https://sloth.example\ndatabase:\n"
        "  url: \"" +
        db_.url() +
        "\"\nplans_file: " SLOTH_SOURCE_DIR
        "/config/plans.yaml\nauth:\n  jwt_secret: contract-secret-0123456789-abcdefghijk\n"
        "secrets:\n  master_key: \"" +
        std::string(64, 'd') +
        "\"\njobs:\n  workers: false\nscheduler:\n  enabled: false\nplugins:\n  dirs: "
        "[\"" SLOTH_PLUGIN_DIR "\"]\n";
    app_ = std::make_unique<app::HostApp>(config::ParseHostConfig(
        yaml, "test.yaml", [](const std::string&) { return std::nullopt; }));
    app_->Start();
  }
  void TearDown() override { app_->Stop(); }

  testing::TestDatabase db_;
  std::unique_ptr<app::HostApp> app_;
};

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

TEST_F(ApiContractTest, TheDocumentListsExactlyTheRoutesServed) {
  std::set<std::string> served, documented;
  for (const auto& r : app_->router().routes()) served.insert(Lower(r.method) + " " + r.pattern);
  for (const auto& [path, item] : testing::ApiDocument()["paths"].items())
    for (const auto& [method, op] : item.items()) documented.insert(method + " " + path);
  for (const auto& s : served)
    EXPECT_TRUE(documented.count(s)) << "served but not in host/api/openapi.yaml: " << s;
  for (const auto& d : documented)
    EXPECT_TRUE(served.count(d)) << "in host/api/openapi.yaml but not served: " << d;
  EXPECT_GE(served.size(), 80u);
}

// Every $ref points at something, every schema parses as JSON Schema, every operation
// answers errors with the envelope and names its security.
TEST_F(ApiContractTest, EverySchemaIsUsable) {
  const json& doc = testing::ApiDocument();
  EXPECT_EQ(doc["openapi"], "3.1.0");
  std::vector<std::string> refs;
  const std::function<void(const json&)> collect = [&](const json& j) {
    if (j.is_object()) {
      for (const auto& [k, v] : j.items()) {
        if (k == "$ref" && v.is_string()) refs.push_back(v);
        collect(v);
      }
    } else if (j.is_array()) {
      for (const auto& v : j) collect(v);
    }
  };
  collect(doc);
  EXPECT_GT(refs.size(), 50u);
  for (const auto& ref : refs) {
    ASSERT_EQ(ref.rfind("#/", 0), 0u) << ref;
    EXPECT_TRUE(doc.contains(json::json_pointer(ref.substr(1)))) << "dangling " << ref;
  }
  for (const auto& [name, schema] : doc["components"]["schemas"].items()) {
    json rooted = schema;
    rooted["components"] = doc["components"];
    EXPECT_EQ(plugins::CheckSchema(rooted), std::nullopt) << name;
  }
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      EXPECT_TRUE(op.contains("security")) << method << " " << path;
      EXPECT_TRUE(op["responses"].contains("default")) << method << " " << path;
      EXPECT_TRUE(op.contains("summary")) << method << " " << path;
    }
  }
}

TEST_F(ApiContractTest, ServedAsJsonAndAsAPageThatNeedsNothingElse) {
  const auto doc = testing::HttpGet(app_->port(), "/api/openapi.json");
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(doc.headers.at("Content-Type").rfind("application/json", 0), 0u);
  json served = json::parse(doc.body);
  EXPECT_EQ(served["servers"][0]["url"], "https://sloth.example");
  served.erase("servers");
  EXPECT_EQ(served, testing::ApiDocument());
  const auto page = testing::HttpGet(app_->port(), "/api/docs");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.headers.at("Content-Type").rfind("text/html", 0), 0u);
  EXPECT_NE(page.body.find("/api/openapi.json"), std::string::npos);
  // No script, style or font from another origin: the page works on a closed network.
  EXPECT_EQ(page.body.find("http://"), std::string::npos);
  EXPECT_EQ(page.body.find("https://"), std::string::npos);
}

// The checker itself: a wrong shape, a status the document does not list and an error
// without its envelope are each caught.
TEST(ApiContractChecker, CatchesWrongShapesStatusesAndEnvelopes) {
  EXPECT_EQ(testing::CheckAnswer("GET", "/health", 200, "application/json", R"({"status":"ok"})"),
            std::nullopt);
  EXPECT_NE(testing::CheckAnswer("GET", "/health", 200, "application/json", R"({"state":"ok"})"),
            std::nullopt);
  EXPECT_NE(testing::CheckAnswer("GET", "/api/auth/me", 200, "application/json",
                                 R"({"id":"1","email":"a@b.c","role":"owner","organization":{}})"),
            std::nullopt);
  EXPECT_NE(testing::CheckAnswer("POST", "/api/booking/services", 202, "application/json", "{}"),
            std::nullopt);
  EXPECT_NE(testing::CheckAnswer("GET", "/api/documents/7/status", 404, "application/json",
                                 R"({"message":"no such document"})"),
            std::nullopt);
  EXPECT_EQ(testing::CheckAnswer(
                "GET", "/api/documents/7/status", 404, "application/json",
                R"({"error":{"code":"not_found","message":"no such document","field":"id"}})"),
            std::nullopt);
  EXPECT_NE(testing::CheckAnswer("GET", "/api/nope", 404, "text/plain", "nope"), std::nullopt);
  EXPECT_EQ(testing::DocumentedPath("/api/booking/bookings/12/no-show?x=1"),
            "/api/booking/bookings/{id}/no-show");
  EXPECT_EQ(testing::DocumentedPath("/api/agent/history"), "/api/agent/history");
}

}  // namespace
}  // namespace sloth
