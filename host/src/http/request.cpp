#include "http/request.hpp"

#include <algorithm>
#include <cctype>

#include "http/api_error.hpp"

namespace sloth::http {

nlohmann::json ErrorEnvelope(const std::string& code, const std::string& message,
                             const std::string& field, const nlohmann::json& details) {
  nlohmann::json e = {{"code", code}, {"message", message}};
  if (!field.empty()) e["field"] = field;
  if (details.is_object() && !details.empty()) e["details"] = details;
  nlohmann::json out = {{"error", e}};
  // A refusal that offers other choices (a slot just taken) shows them beside the error,
  // as the REST contract has it: 409 {alternatives:[...]}.
  if (details.is_object() && details.contains("alternatives"))
    out["alternatives"] = details["alternatives"];
  return out;
}

nlohmann::json ApiError::Envelope() const {
  return ErrorEnvelope(code_, what(), field_, details_);
}

std::optional<std::string> Request::Header(std::string_view name) const {
  std::string key(name);
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  auto it = headers.find(key);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Request::Query(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

const std::string& Request::Param(const std::string& name) const {
  auto it = params.find(name);
  if (it == params.end()) throw std::logic_error("route has no parameter '" + name + "'");
  return it->second;
}

nlohmann::json Request::Json() const {
  if (body.empty())
    throw ApiError(400, "invalid_json", "a JSON object body is required", "body",
                   {{"reason", "invalid_json"}});
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    throw ApiError(400, "invalid_json", "the body is not valid JSON", "body",
                   {{"reason", "invalid_json"}});
  if (!j.is_object())
    throw ApiError(400, "invalid_json", "the body must be a JSON object", "body",
                   {{"reason", "invalid_json"}});
  return j;
}

Response Response::Json(int status, const nlohmann::json& j) {
  Response r;
  r.status = status;
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response Response::Text(int status, std::string text, std::string content_type) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(text);
  return r;
}

Response Response::NoContent() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

}  // namespace sloth::http
