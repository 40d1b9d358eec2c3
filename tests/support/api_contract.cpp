#include "support/api_contract.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include "api/openapi_routes.hpp"
#include "http/router.hpp"
#include "plugins/json_schema.hpp"

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

const json& ErrorSchema() {
  static const json s = Rooted({{"$ref", "#/components/schemas/Error"}});
  return s;
}

std::optional<std::string> Validate(const json& schema, const std::string& body) {
  json value = json::parse(body, nullptr, false);
  if (value.is_discarded()) return "the body is not JSON";
  if (auto v = plugins::Validate(schema, value)) return "at '" + v->path + "': " + v->message;
  return std::nullopt;
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
    static std::mutex mu;
    static std::map<std::string, json> rooted;  // schema per operation and status
    json schema;
    {
      std::lock_guard<std::mutex> lock(mu);
      auto& s = rooted[m + " " + *pattern + " " + code];
      if (s.is_null()) s = Rooted(content["application/json"]["schema"]);
      schema = s;
    }
    if (auto why = Validate(schema, body)) return method + " " + *pattern + " " + code + " " + *why;
  }
  return std::nullopt;
}

}  // namespace sloth::testing
