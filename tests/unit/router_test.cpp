#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "db/pool.hpp"
#include "http/api_error.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "metrics/metrics.hpp"

namespace sloth::http {
namespace {

Response Echo(Request& r) {
  nlohmann::json j = {{"route", r.route}};
  for (const auto& [k, v] : r.params) j["params"][k] = v;
  return Response::Json(200, j);
}

TEST(RouterTest, MatchesParametersAndPrefersLiterals) {
  Router router;
  router.Add("GET", "/api/documents/{id}", Echo);
  router.Add("GET", "/api/documents/{id}/status", Echo);
  router.Add("GET", "/api/documents/list", Echo);
  router.Add("DELETE", "/api/documents/{id}", Echo);

  auto m = router.Find("GET", "/api/documents/42");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/api/documents/{id}");
  EXPECT_EQ(m.params.at("id"), "42");

  m = router.Find("GET", "/api/documents/list");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->pattern, "/api/documents/list");

  m = router.Find("GET", "/api/documents/7/status/");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.params.at("id"), "7");

  m = router.Find("PUT", "/api/documents/7");
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "DELETE"}));

  EXPECT_EQ(router.Find("GET", "/api/nothing").route, nullptr);
  EXPECT_THROW(router.Add("GET", "/api/documents/{other}", Echo), std::logic_error);
}

class DispatchTest : public ::testing::Test {
 protected:
  DispatchTest() : server_(ServerOptions{}, router_, metrics_) {
    router_.Add("POST", "/things/{id}", [](Request& r) {
      auto body = r.Json();
      if (!body.contains("name")) throw ApiError::BadRequest("name is required", "name");
      return Response::Json(201, {{"id", r.Param("id")}, {"name", body["name"]}});
    });
    router_.Add("GET", "/limited", [](Request&) -> Response {
      throw ApiError(429, "rate_limited", "slow down").WithHeader("Retry-After", "30");
    });
    router_.Add("GET", "/boom", [](Request&) -> Response { throw std::runtime_error("secret"); });
    router_.Add("GET", "/busy", [](Request&) -> Response { throw db::PoolTimeout("busy"); });
    router_.Add("GET", "/typed", [](Request& r) -> Response {
      auto n = r.Json()["n"].get<int>();
      return Response::Json(200, {{"n", n}});
    });
  }

  Response Call(const std::string& method, const std::string& path, const std::string& body = "") {
    Request r;
    r.method = method;
    r.path = path;
    r.body = body;
    r.request_id = "rid-1";
    return server_.Dispatch(r);
  }

  static nlohmann::json Body(const Response& r) { return nlohmann::json::parse(r.body); }

  Router router_;
  metrics::Registry metrics_;
  Server server_;
};

TEST_F(DispatchTest, HandlerResult) {
  auto r = Call("POST", "/things/5", R"({"name":"x"})");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(Body(r), (nlohmann::json{{"id", "5"}, {"name", "x"}}));
}

TEST_F(DispatchTest, ErrorEnvelopes) {
  auto r = Call("POST", "/things/5", R"({"other":1})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(
      Body(r),
      (nlohmann::json{
          {"error",
           {{"code", "invalid_argument"}, {"message", "name is required"}, {"field", "name"}}}}));

  r = Call("POST", "/things/5", "{not json");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"]["code"], "invalid_json");
  EXPECT_EQ(Body(r)["error"]["field"], "body");

  r = Call("POST", "/things/5", "[1,2]");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"]["message"], "the body must be a JSON object");

  r = Call("GET", "/typed", R"({"n":"text"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["error"]["code"], "invalid_argument");

  r = Call("GET", "/nowhere");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Body(r)["error"]["code"], "not_found");

  r = Call("DELETE", "/things/5");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Body(r)["error"]["code"], "method_not_allowed");

  r = Call("GET", "/limited");
  EXPECT_EQ(r.status, 429);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Retry-After", "30"}));

  r = Call("GET", "/busy");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(Body(r)["error"]["code"], "unavailable");
}

TEST_F(DispatchTest, InternalErrorsDoNotLeakDetails) {
  auto r = Call("GET", "/boom");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(Body(r)["error"]["code"], "internal");
  EXPECT_EQ(r.body.find("secret"), std::string::npos);
  EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find("rid-1"), std::string::npos);
}

TEST_F(DispatchTest, CountsRequestsByRoutePattern) {
  Call("POST", "/things/1", R"({"name":"a"})");
  Call("POST", "/things/2", R"({"name":"b"})");
  Call("GET", "/nowhere");
  EXPECT_EQ(
      metrics_.CounterValue("sloth_http_requests_total",
                            {{"method", "POST"}, {"route", "/things/{id}"}, {"status", "201"}}),
      2);
  EXPECT_EQ(metrics_.CounterValue("sloth_http_requests_total",
                                  {{"method", "GET"}, {"route", "unmatched"}, {"status", "404"}}),
            1);
}

}  // namespace
}  // namespace sloth::http
