#include "plugins/json_schema.hpp"

#include <regex>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

namespace sloth::plugins {
namespace {

using json = nlohmann::json;

std::string EscapePointer(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

void FillDefaults(const json& s, json& v) {
  if (!s.is_object() || !v.is_object() || !s.contains("properties") ||
      !s["properties"].is_object()) {
    return;
  }
  for (const auto& [k, ps] : s["properties"].items()) {
    if (!v.contains(k)) {
      if (ps.is_object() && ps.contains("default")) v[k] = ps["default"];
    } else {
      FillDefaults(ps, v[k]);
    }
  }
}

// The formats valijson does not check.
std::optional<SchemaViolation> CheckFormats(const json& s, const json& v, const std::string& path) {
  if (!s.is_object()) return std::nullopt;
  if (v.is_string() && s.contains("format")) {
    static const std::regex uri(R"(^https?://[^\s/?#]+([/?#][^\s]*)?$)", std::regex::icase);
    static const std::regex email(R"(^[^\s@]+@[^\s@]+\.[^\s@]+$)");
    const auto& str = v.get_ref<const std::string&>();
    if (s["format"] == "uri" && !std::regex_match(str, uri))
      return SchemaViolation{path, "must be an http(s) URL"};
    if (s["format"] == "email" && !std::regex_match(str, email)) {
      return SchemaViolation{path, "must be an email address"};
    }
  }
  if (v.is_object() && s.contains("properties") && s["properties"].is_object()) {
    for (const auto& [k, ps] : s["properties"].items()) {
      if (v.contains(k)) {
        if (auto e = CheckFormats(ps, v[k], path + "/" + EscapePointer(k))) return e;
      }
    }
  }
  if (v.is_array() && s.contains("items")) {
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (auto e = CheckFormats(s["items"], v[i], path + "/" + std::to_string(i))) return e;
    }
  }
  return std::nullopt;
}

// valijson names a location as {"<root>", "[token]", "[0]"}; we use JSON pointers.
std::string Pointer(const std::vector<std::string>& context) {
  std::string out;
  for (const auto& c : context) {
    if (c.size() >= 2 && c.front() == '[' && c.back() == ']') {
      std::string key = c.substr(1, c.size() - 2);
      if (key.size() >= 2 && key.front() == '"' && key.back() == '"')
        key = key.substr(1, key.size() - 2);
      out += "/" + EscapePointer(key);
    }
  }
  return out;
}

void CollectSecrets(const json& s, const std::string& path, std::vector<std::string>& out) {
  if (!s.is_object()) return;
  if (s.value("secret", false)) out.push_back(path);
  if (s.contains("properties") && s["properties"].is_object()) {
    for (const auto& [k, v] : s["properties"].items())
      CollectSecrets(v, path + "/" + EscapePointer(k), out);
  }
}

}  // namespace

std::optional<std::string> CheckSchema(const json& schema) {
  if (!schema.is_object()) return "a schema must be an object";
  try {
    valijson::Schema parsed;
    valijson::SchemaParser parser;
    valijson::adapters::NlohmannJsonAdapter adapter(schema);
    parser.populateSchema(adapter, parsed);
  } catch (const std::exception& e) {
    return std::string("is not a valid JSON Schema: ") + e.what();
  }
  if (schema.contains("properties") && schema["properties"].is_object()) {
    for (const auto& [k, v] : schema["properties"].items()) {
      if (v.is_object() && v.contains("secret") && !v["secret"].is_boolean()) {
        return "property '" + k + "': secret must be a boolean";
      }
    }
  }
  return std::nullopt;
}

std::optional<SchemaViolation> Validate(const json& schema, json& value) {
  FillDefaults(schema, value);
  valijson::Schema parsed;
  valijson::SchemaParser parser;
  valijson::adapters::NlohmannJsonAdapter schema_adapter(schema);
  parser.populateSchema(schema_adapter, parsed);  // CheckSchema accepted it at load
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter value_adapter(value);
  if (!validator.validate(parsed, value_adapter, &results)) {
    // The first error is the most specific (valijson adds the enclosing ones after it).
    valijson::ValidationResults::Error e;
    results.popError(e);
    std::string path = Pointer(e.context);
    // A missing or unexpected property is reported on the object; name the property.
    static const std::regex named(
        R"((Missing required property|could not be validated using 'properties' or 'additionalProperties' constraints:) '([^']+)')");
    std::smatch m;
    if (std::regex_search(e.description, m, named)) path += "/" + EscapePointer(m[2]);
    return SchemaViolation{path, e.description};
  }
  return CheckFormats(schema, value, "");
}

std::vector<std::string> SecretPaths(const json& schema) {
  std::vector<std::string> out;
  CollectSecrets(schema, "", out);
  return out;
}

}  // namespace sloth::plugins
