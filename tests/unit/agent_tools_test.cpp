// The tool registry: what the model is offered, and every way a call can go wrong answered
// in words the model can act on.

#include <gtest/gtest.h>

#include "agent/tools.hpp"
#include "errors/error.hpp"

namespace sloth::agent {
namespace {

using json = nlohmann::json;

ToolSpec Slots(int* calls) {
  return {"find_slots",
          "Free start times for a service on a date",
          {{"type", "object"},
           {"properties",
            {{"service", {{"type", "string"}, {"minLength", 1}}},
             {"date", {{"type", "string"}, {"pattern", "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}}},
             {"limit", {{"type", "integer"}, {"default", 3}}}}},
           {"required", {"service", "date"}},
           {"additionalProperties", false}},
          [calls](const ToolContext& ctx, const json& args) {
            ++*calls;
            if (args["service"] == "sauna") throw errors::Error::NotFound("no such service");
            return json{{"tenant", ctx.tenant}, {"limit", args["limit"]}, {"slots", {"10:00"}}};
          }};
}

TEST(AgentTools, DefinitionsInOpenAisShape) {
  int calls = 0;
  ToolRegistry r;
  r.Register(Slots(&calls));
  const auto d = r.Definitions();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0]["type"], "function");
  EXPECT_EQ(d[0]["function"]["name"], "find_slots");
  EXPECT_EQ(d[0]["function"]["parameters"]["required"][1], "date");
}

TEST(AgentTools, CallsValidateTheirArgumentsAndReportRefusals) {
  int calls = 0;
  ToolRegistry r;
  r.Register(Slots(&calls));
  ToolContext ctx;
  ctx.tenant = 7;
  const auto ok = r.Call("find_slots", R"({"service":"manicure","date":"2026-11-28"})", ctx);
  ASSERT_TRUE(ok.ok) << ok.error;
  EXPECT_EQ(ok.output["tenant"], 7);
  EXPECT_EQ(ok.output["limit"], 3);  // the schema's default filled in
  EXPECT_FALSE(r.Call("book", "{}", ctx).ok);
  EXPECT_EQ(r.Call("book", "{}", ctx).error, "there is no tool named book");
  EXPECT_EQ(r.Call("find_slots", "not json", ctx).error, "the arguments are not a JSON object");
  const auto missing = r.Call("find_slots", R"({"service":"manicure"})", ctx);
  EXPECT_FALSE(missing.ok);
  EXPECT_NE(missing.error.find("date"), std::string::npos) << missing.error;
  EXPECT_FALSE(r.Call("find_slots", R"({"service":"x","date":"tomorrow"})", ctx).ok);
  EXPECT_FALSE(r.Call("find_slots", R"({"service":"x","date":"2026-11-28","hack":1})", ctx).ok);
  const auto domain = r.Call("find_slots", R"({"service":"sauna","date":"2026-11-28"})", ctx);
  EXPECT_FALSE(domain.ok);
  EXPECT_EQ(domain.error, "no such service");
  EXPECT_EQ(domain.output["error"], "no such service");
  EXPECT_EQ(calls, 2);  // refused arguments never reach the handler
}

TEST(AgentTools, RegistrationRefusesWhatTheModelCouldNotCall) {
  int calls = 0;
  ToolRegistry r;
  r.Register(Slots(&calls));
  EXPECT_THROW(r.Register(Slots(&calls)), std::invalid_argument);  // twice
  auto bad = Slots(&calls);
  bad.name = "Find Slots";
  EXPECT_THROW(r.Register(bad), std::invalid_argument);
  bad = Slots(&calls);
  bad.name = "other";
  bad.parameters = {{"type", "string"}};
  EXPECT_THROW(r.Register(bad), std::invalid_argument);
  bad = Slots(&calls);
  bad.name = "no_handler";
  bad.handler = nullptr;
  EXPECT_THROW(r.Register(bad), std::invalid_argument);
  EXPECT_EQ(r.size(), 1u);
}

}  // namespace
}  // namespace sloth::agent
