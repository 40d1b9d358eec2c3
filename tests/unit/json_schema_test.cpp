#include <gtest/gtest.h>

#include "plugins/json_schema.hpp"

namespace sloth::plugins {
namespace {

using json = nlohmann::json;

const json kSchema = json::parse(R"({
  "type": "object",
  "additionalProperties": false,
  "required": ["token"],
  "properties": {
    "token": {"type": "string", "minLength": 10, "pattern": "^[0-9]+:[A-Za-z0-9_-]+$", "secret": true},
    "mode": {"type": "string", "enum": ["webhook", "polling"], "default": "webhook"},
    "pace_ms": {"type": "integer", "minimum": 0, "maximum": 60000},
    "url": {"type": "string", "format": "uri"},
    "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}, "maxItems": 2},
    "nested": {"type": "object", "properties": {"key": {"type": "string", "secret": true}}}
  }
})");

std::string Violation(json value) {
  auto v = Validate(kSchema, value);
  return v ? v->path + " " + v->message : "";
}

TEST(JsonSchemaTest, AcceptsValidAndFillsDefaults) {
  json v = {{"token", "123:abcDEF_-x"}, {"pace_ms", 100}, {"url", "https://x.example/a?b"}};
  EXPECT_FALSE(Validate(kSchema, v));
  EXPECT_EQ(v["mode"], "webhook");
}

TEST(JsonSchemaTest, NamesTheFieldAndTheProblem) {
  EXPECT_EQ(Violation(json::object()), "/token Missing required property 'token'.");
  EXPECT_EQ(Violation({{"token", 5}}), "/token Value type not permitted by 'type' constraint.");
  EXPECT_EQ(Violation({{"token", "123:abc"}}),
            "/token String should be no fewer than 10 characters in length.");
  EXPECT_EQ(Violation({{"token", "no colon here"}}),
            "/token Failed to match regex specified by 'pattern' constraint.");
  EXPECT_EQ(Violation({{"token", "123:abcdefgh"}, {"mode", "push"}}),
            "/mode Failed to match against any enum values.");
  EXPECT_EQ(Violation({{"token", "123:abcdefgh"}, {"pace_ms", -1}}),
            "/pace_ms Expected number greater than or equal to 0.000000");
  EXPECT_EQ(Violation({{"token", "123:abcdefgh"}, {"pace_ms", 1.5}}),
            "/pace_ms Value type not permitted by 'type' constraint.");
  EXPECT_EQ(Violation({{"token", "123:abcdefgh"}, {"url", "ftp://x"}}),
            "/url must be an http(s) URL");
  EXPECT_EQ(Violation({{"token", "123:abcdefgh"}, {"tags", {"a", "bbbb"}}}),
            "/tags/1 String should be no more than 3 characters in length.");
  EXPECT_EQ(Violation({{"token", "123:abcdefgh"}, {"tags", {"a", "b", "c"}}}),
            "/tags Array should contain no more than 2 elements.");
  EXPECT_EQ(Violation({{"token", "123:abcdefgh"}, {"role", "admin"}}).rfind("/role ", 0), 0u);
}

TEST(JsonSchemaTest, ListsSecrets) {
  EXPECT_EQ(SecretPaths(kSchema), (std::vector<std::string>{"/nested/key", "/token"}));
}

TEST(JsonSchemaTest, RejectsInvalidSchemas) {
  EXPECT_EQ(CheckSchema(kSchema), std::nullopt);
  EXPECT_EQ(CheckSchema(json::parse(R"({"properties": {"a": {"type": "strng"}}})")),
            "is not a valid JSON Schema: Unrecognised JSON type name 'strng'");
  EXPECT_TRUE(CheckSchema(json::parse(R"({"minLength": -1})")).has_value());
  EXPECT_EQ(CheckSchema(json::parse(R"({"properties": {"a": {"secret": "yes"}}})")),
            "property 'a': secret must be a boolean");
  EXPECT_EQ(CheckSchema(json::parse("[]")), "a schema must be an object");
}

}  // namespace
}  // namespace sloth::plugins
