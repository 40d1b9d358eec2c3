#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace sloth::http {

// An error of the HTTP layer with its status and the envelope
// {"error":{"code","message","field","details"}}. The server answers it in one place, so
// every error leaves in the same shape. Code below the routes throws errors::Error
// instead; api/error_mapping.cpp turns that into this.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, std::string message, std::string field = "",
           nlohmann::json details = nlohmann::json::object())
      : std::runtime_error(message),
        status_(status),
        code_(std::move(code)),
        field_(std::move(field)),
        details_(std::move(details)) {}

  int status() const { return status_; }
  const std::string& code() const { return code_; }
  const std::string& field() const { return field_; }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }
  ApiError& WithHeader(std::string name, std::string value) {
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  nlohmann::json Envelope() const;

  static ApiError BadRequest(std::string message, std::string field = "") {
    return ApiError(400, "invalid_argument", std::move(message), std::move(field));
  }
  static ApiError NotFound(std::string message = "not found") {
    return ApiError(404, "not_found", std::move(message));
  }

 private:
  int status_;
  std::string code_;
  std::string field_;
  nlohmann::json details_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

// The envelope for a status/code/message triple without an exception.
nlohmann::json ErrorEnvelope(const std::string& code, const std::string& message,
                             const std::string& field = "",
                             const nlohmann::json& details = nlohmann::json::object());

}  // namespace sloth::http
