#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace sloth::http {

class BodyStream;

struct Request {
  std::string method;
  std::string path;  // decoded path, no query
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::map<std::string, std::string> params;   // from the route pattern
  std::string body;
  // Set instead of `body` on routes with RouteOptions::stream_body; valid during the call.
  BodyStream* body_stream = nullptr;
  std::string request_id;
  std::string remote_ip;
  std::string route;  // the matched pattern, e.g. /api/documents/{id}

  std::optional<std::string> Header(std::string_view name) const;
  std::optional<std::string> Query(const std::string& name) const;
  const std::string& Param(const std::string& name) const;
  // Parses the body as a JSON object; throws ApiError 400 (invalid_json / field "body").
  nlohmann::json Json() const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static Response Json(int status, const nlohmann::json& j);
  static Response Text(int status, std::string text,
                       std::string content_type = "text/plain; charset=utf-8");
  static Response NoContent();
};

}  // namespace sloth::http
