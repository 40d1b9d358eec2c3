#include <map>
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "config/host_config.hpp"

namespace sloth::config {
namespace {

using Env = std::map<std::string, std::string>;

std::function<std::optional<std::string>(const std::string&)> EnvOf(Env env) {
  return [env](const std::string& k) -> std::optional<std::string> {
    auto it = env.find(k);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

std::string ErrorOf(const std::string& yaml, Env env = {}) {
  try {
    ParseHostConfig(yaml, "host.yaml", EnvOf(env));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigTest, ValidFileWithDefaultsAndInterpolation) {
  const auto c =
      ParseHostConfig("http:\n  port: 9090\ndatabase:\n  url: ${DB}\nlog:\n  format: json\n",
                      "host.yaml", EnvOf({{"DB", "postgresql:///x"}}));
  EXPECT_EQ(c.http.port, 9090);
  EXPECT_EQ(c.http.host, "0.0.0.0");
  EXPECT_EQ(c.http.max_body_bytes, 1 << 20);
  EXPECT_EQ(c.database.url, "postgresql:///x");
  EXPECT_EQ(c.database.pool_size, 10);
  EXPECT_EQ(c.log.format, "json");
  EXPECT_EQ(c.log.level, "info");
}

TEST(ConfigTest, ShippedHostYamlIsValid) {
  const auto c = LoadHostConfig(std::string(SLOTH_SOURCE_DIR) + "/config/host.yaml",
                                EnvOf({{"DATABASE_URL", "postgresql:///sloth"}}));
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.database.url, "postgresql:///sloth");
}

TEST(ConfigTest, DefaultInReferenceAndEscapedDollar) {
  const auto c = ParseHostConfig(
      "database:\n  url: ${NOPE:-postgresql:///fallback}\nhttp:\n  public_url: a$${b}\n",
      "host.yaml", EnvOf({}));
  EXPECT_EQ(c.database.url, "postgresql:///fallback");
  EXPECT_EQ(c.http.public_url, "a${b}");
}

TEST(ConfigTest, EnvironmentOverridesAnyLeaf) {
  const auto c =
      ParseHostConfig("database:\n  url: postgresql:///file\nhttp:\n  port: 1\n", "host.yaml",
                      EnvOf({{"SLOTH_HTTP_PORT", "7070"},
                             {"DATABASE_URL", "postgresql:///env"},
                             {"SLOTH_LOG_LEVEL", "debug"}}));
  EXPECT_EQ(c.http.port, 7070);
  EXPECT_EQ(c.database.url, "postgresql:///env");
  EXPECT_EQ(c.log.level, "debug");
}

TEST(ConfigTest, EmbeddingModelsNameTheirPlugin) {
  const std::string base = "database:\n  url: x\nknowledge:\n  embedding_models:\n";
  const auto c =
      ParseHostConfig(base + "    openai-large: {plugin: openai, config: {dimensions: 1024}}\n",
                      "host.yaml", EnvOf({}));
  ASSERT_EQ(c.knowledge.embedding_models.size(), 1u);
  EXPECT_EQ(c.knowledge.embedding_models[0].name, "openai-large");
  EXPECT_EQ(c.knowledge.embedding_models[0].plugin, "openai");
  EXPECT_EQ(c.knowledge.embedding_models[0].config["dimensions"].as<int>(), 1024);
  EXPECT_NE(ErrorOf(base + "    big: {config: {}}\n").find("plugin"), std::string::npos);
  EXPECT_NE(ErrorOf(base + "    \"Big Model\": {plugin: openai}\n").find("model name"),
            std::string::npos);
}

TEST(ConfigTest, RenamedStorageKeyIsStillReadWithAWarning) {
  const std::string db = "database:\n  url: x\n";
  const auto fresh = ParseHostConfig(db, "host.yaml", EnvOf({}));
  EXPECT_EQ(fresh.storage.plugin, "storage-local");
  EXPECT_TRUE(fresh.warnings.empty());
  const auto old =
      ParseHostConfig(db + "knowledge:\n  storage_plugin: s3\n", "host.yaml", EnvOf({}));
  EXPECT_EQ(old.storage.plugin, "s3");
  ASSERT_EQ(old.warnings.size(), 1u);
  EXPECT_NE(old.warnings[0].find("knowledge.storage_plugin"), std::string::npos);
  const auto both = ParseHostConfig(
      db + "storage:\n  plugin: gcs\nknowledge:\n  storage_plugin: s3\n", "host.yaml", EnvOf({}));
  EXPECT_EQ(both.storage.plugin, "gcs");  // the new key wins
  EXPECT_EQ(both.warnings.size(), 1u);
}

TEST(ConfigTest, CallTimeoutsPerPluginKind) {
  const auto c = ParseHostConfig(
      "database:\n  url: x\nplugins:\n  call_timeout_ms: 5000\n  call_timeouts_ms:\n    "
      "storage: 2000\n",
      "host.yaml", EnvOf({}));
  EXPECT_EQ(c.plugins.call_timeout.count(), 5000);
  EXPECT_EQ(c.plugins.kind_timeouts.at("storage").count(), 2000);
  EXPECT_EQ(c.plugins.kind_timeouts.at("llm").count(), 120000);  // the default for chat
  EXPECT_EQ(c.plugins.kind_timeouts.count("channel"), 0u);       // 0: call_timeout_ms
  EXPECT_NE(ErrorOf("database:\n  url: x\nplugins:\n  call_timeouts_ms:\n    fax: 1\n").find("fax"),
            std::string::npos);
}

TEST(ConfigTest, MissingRequiredKey) {
  EXPECT_EQ(ErrorOf("http:\n  port: 8080\n"),
            "host.yaml:1:1: key 'database.url': missing required key 'database.url'");
}

TEST(ConfigTest, WrongType) {
  EXPECT_EQ(ErrorOf("database:\n  url: x\nhttp:\n  port: eighty\n"),
            "host.yaml:4:9: key 'http.port': expected an integer, got \"eighty\"");
  EXPECT_EQ(ErrorOf("database:\n  url: x\n  migrate_on_start: maybe\n"),
            "host.yaml:3:21: key 'database.migrate_on_start': expected a boolean (true/false), "
            "got \"maybe\"");
  EXPECT_EQ(ErrorOf("database: [1, 2]\n"), "host.yaml:1:11: key 'database': expected a mapping");
}

TEST(ConfigTest, OutOfRangeAndEnum) {
  EXPECT_EQ(ErrorOf("database:\n  url: x\nhttp:\n  port: 70000\n"),
            "host.yaml:4:9: key 'http.port': expected an integer >= 0 and <= 65535, got \"70000\"");
  EXPECT_EQ(ErrorOf("database:\n  url: x\nlog:\n  level: loud\n"),
            "host.yaml:4:10: key 'log.level': expected one of [trace, debug, info, warn, error, "
            "critical, off], got \"loud\"");
}

TEST(ConfigTest, UnknownKeyWithSuggestion) {
  EXPECT_EQ(ErrorOf("database:\n  url: x\nhttp:\n  prot: 8080\n"),
            "host.yaml:4:3: key 'http.prot': unknown key (did you mean 'port'?)");
  EXPECT_EQ(ErrorOf("database:\n  url: x\nextra: 1\n"), "host.yaml:3:1: key 'extra': unknown key");
}

// Found by the fuzzer: YAML lets a mapping, a list or nothing stand as a key.
TEST(ConfigTest, AKeyThatIsNotANameIsRefusedWhereItStands) {
  EXPECT_EQ(ErrorOf("http:\n{cron: \"* * * * *\", kind: a.b}"),
            "host.yaml:2:1: at the top level: expected a name as the key, got a mapping");
  EXPECT_EQ(ErrorOf("database:\n  url: x\n? [a, b]\n: 1\n"),
            "host.yaml:3:3: at the top level: expected a name as the key, got a list");
  EXPECT_EQ(ErrorOf("database:\n  url: x\nplugins:\n  config:\n    ? {a: 1}\n    : 2\n"),
            "host.yaml:5:7: key 'plugins.config': expected a name as the key, got a mapping");
}

TEST(ConfigTest, BadEnvironmentReference) {
  EXPECT_EQ(ErrorOf("database:\n  url: ${MISSING_DB}\n"),
            "host.yaml:2:8: database.url: environment variable 'MISSING_DB' is not set (write "
            "${MISSING_DB:-default} to give a default)");
  EXPECT_EQ(ErrorOf("database:\n  url: ${BAD-NAME}\n"),
            "host.yaml:2:8: database.url: bad environment reference '${BAD-NAME}': a name is "
            "letters, digits and '_'");
  EXPECT_EQ(ErrorOf("database:\n  url: ${OPEN\n"),
            "host.yaml:2:8: database.url: unterminated environment reference '${OPEN'");
}

TEST(ConfigTest, BadOverrideNamesTheVariable) {
  EXPECT_EQ(ErrorOf("database:\n  url: x\nhttp:\n  port: 1\n", {{"SLOTH_HTTP_PORT", "abc"}}),
            "host.yaml:4:9: key 'http.port': expected an integer, got \"abc\" (from environment "
            "variable SLOTH_HTTP_PORT)");
}

TEST(ConfigTest, SecretsAreNotEchoed) {
  const auto err = ErrorOf("database:\n  url: \"\"\n");
  EXPECT_EQ(err, "host.yaml:2:8: key 'database.url': must not be empty");
}

TEST(ConfigTest, InvalidYaml) {
  EXPECT_EQ(ErrorOf("http: [\n"), "host.yaml:2:1: invalid YAML: end of sequence flow not found");
  EXPECT_EQ(ErrorOf("- a\n- b\n"), "host.yaml: the top level must be a mapping");
}

TEST(ConfigTest, MissingFile) {
  EXPECT_THROW(LoadHostConfig("/nonexistent/host.yaml", EnvOf({})), ConfigError);
}

}  // namespace
}  // namespace sloth::config
