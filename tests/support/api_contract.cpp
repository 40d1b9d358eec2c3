#include "support/api_contract.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "api/openapi_routes.hpp"
#include "http/router.hpp"

namespace sloth::testing {
namespace {

using json = nlohmann::json;

// A schema that can be validated on its own: the document's components ride along so its
// "#/components/..." references resolve.
json Rooted(const json& schema) {
  json root = schema;
  root["components"] = ApiDocument()["components"];
  return root;
}

// Parsed once per schema: tests make thousands of calls, and parsing is most of the cost.
std::shared_ptr<const valijson::Schema> Parsed(const std::string& key, const json& schema) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const valijson::Schema>> parsed;
  std::lock_guard<std::mutex> lock(mu);
  auto& p = parsed[key];
  if (!p) {
    const json rooted = Rooted(schema);
    auto s = std::make_shared<valijson::Schema>();
    valijson::SchemaParser parser;
    valijson::adapters::NlohmannJsonAdapter adapter(rooted);
    parser.populateSchema(adapter, *s);
    p = std::move(s);
  }
  return p;
}

std::optional<std::string> Validate(const valijson::Schema& schema, const std::string& body) {
  const json value = json::parse(body, nullptr, false);
  if (value.is_discarded()) return "the body is not JSON";
  valijson::Validator validator;
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter adapter(value);
  if (validator.validate(schema, adapter, &results)) return std::nullopt;
  valijson::ValidationResults::Error e;
  results.popError(e);
  std::string where;
  for (const auto& c : e.context) where += c;
  return "at " + where + ": " + e.description;
}

const valijson::Schema& ErrorSchema() {
  static const auto s = Parsed("error envelope", {{"$ref", "#/components/schemas/Error"}});
  return *s;
}

}  // namespace

const json& ApiDocument() {
  static const json doc = api::OpenApiDocument("");
  return doc;
}

std::optional<std::string> DocumentedPath(const std::string& path) {
  const auto segments = http::SplitPath(path.substr(0, path.find('?')));
  std::optional<std::string> best;
  long best_literals = -1;
  for (const auto& [pattern, item] : ApiDocument()["paths"].items()) {
    const auto want = http::SplitPath(pattern);
    if (want.size() != segments.size()) continue;
    long literals = 0;
    bool match = true;
    for (std::size_t i = 0; i < want.size() && match; ++i) {
      if (want[i].size() > 1 && want[i].front() == '{' && want[i].back() == '}') continue;
      match = want[i] == segments[i];
      ++literals;
    }
    if (match && literals > best_literals) {
      best = pattern;
      best_literals = literals;
    }
  }
  return best;
}

std::optional<std::string> CheckAnswer(const std::string& method, const std::string& path,
                                       int status, const std::string& content_type,
                                       const std::string& body) {
  if (status == 0) return std::nullopt;  // no answer: the test sees that itself
  const bool json_answer = content_type.rfind("application/json", 0) == 0;
  const auto pattern = DocumentedPath(path);
  if (!pattern) {
    if (path.rfind("/api/", 0) != 0) return std::nullopt;
    if (!json_answer) return "an undocumented /api/ path answered " + content_type;
    return Validate(ErrorSchema(), body);
  }
  std::string m = method;
  std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return std::tolower(c); });
  const json& item = ApiDocument()["paths"][*pattern];
  if (!item.contains(m)) {
    if (m == "head" || m == "options") return std::nullopt;
    return json_answer ? Validate(ErrorSchema(), body) : std::nullopt;
  }
  const json& responses = item[m]["responses"];
  const std::string code = std::to_string(status);
  if (!responses.contains(code) && status < 400) {
    return method + " " + *pattern + " answered " + code + ", which the document does not list";
  }
  json response = responses.contains(code) ? responses[code] : responses["default"];
  if (response.contains("$ref")) {
    // "#/components/responses/<name>"
    const std::string ref = response["$ref"];
    response = ApiDocument()["components"]["responses"][ref.substr(ref.rfind('/') + 1)];
  }
  if (status == 204) {
    return body.empty() ? std::nullopt : std::optional<std::string>("a 204 carried a body");
  }
  if (!response.contains("content")) return std::nullopt;
  const json& content = response["content"];
  if (content.contains("application/json")) {
    if (!json_answer) {
      return method + " " + *pattern + " " + code + " answered " + content_type +
             " where the document says application/json";
    }
    const auto schema =
        Parsed(m + " " + *pattern + " " + code, content["application/json"]["schema"]);
    if (auto why = Validate(*schema, body))
      return method + " " + *pattern + " " + code + " " + *why;
  }
  return std::nullopt;
}

}  // namespace sloth::testing
