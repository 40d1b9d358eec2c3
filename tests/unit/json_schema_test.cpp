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
  EXPECT_EQ(Violation(json::object()), "/token is required");
  EXPECT_EQ(Violation({{"token", 5}}), "/token must be of type string");
  EXPECT_EQ(Violation({{"token", "123:abc"}}), "/token must be at least 10 characters");
  EXPECT_EQ(Violation({{"token", "no colon here"}}),
            "/token must match \"^[0-9]+:[A-Za-z0-9_-]+$\"");
  EXPECT_EQ(Violation({{"token", "123:abcdefgh"}, {"mode", "push"}}),
            "/mode must be one of [\"webhook\",\"polling\"]");
  EXPECT_EQ(Violation({{"token", "123:abcdefgh"}, {"pace_ms", -1}}), "/pace_ms must be >= 0");
  EXPECT_EQ(Violation({{"token", "123:abcdefgh"}, {"pace_ms", 1.5}}),
            "/pace_ms must be of type integer");
  EXPECT_EQ(Violation({{"token", "123:abcdefgh"}, {"url", "ftp://x"}}),
            "/url must be an http(s) URL");
  EXPECT_EQ(Violation({{"token", "123:abcdefgh"}, {"tags", {"a", "bbbb"}}}),
            "/tags/1 must be at most 3 characters");
  EXPECT_EQ(Violation({{"token", "123:abcdefgh"}, {"tags", {"a", "b", "c"}}}),
            "/tags must have at most 2 items");
  EXPECT_EQ(Violation({{"token", "123:abcdefgh"}, {"role", "admin"}}),
            "/role is not a known property");
}

TEST(JsonSchemaTest, ListsSecrets) {
  EXPECT_EQ(SecretPaths(kSchema), (std::vector<std::string>{"/nested/key", "/token"}));
}

TEST(JsonSchemaTest, RejectsUnsupportedSchemas) {
  EXPECT_EQ(CheckSchema(kSchema), std::nullopt);
  EXPECT_EQ(CheckSchema(json::parse(R"({"oneOf": []})")), "#: unsupported schema keyword 'oneOf'");
  EXPECT_EQ(CheckSchema(json::parse(R"({"properties": {"a": {"type": "strng"}}})")),
            "#/properties/a: bad type \"strng\"");
  EXPECT_EQ(CheckSchema(json::parse(R"({"pattern": "("})")),
            "#: pattern is not a valid regular expression");
}

}  // namespace
}  // namespace sloth::plugins
