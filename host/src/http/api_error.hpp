#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace sloth::http {

// A request error with its HTTP status and the envelope
// {"error":{"code","message","field"}}. Thrown by handlers; mapped to a response in one
// place (the server), so every error leaves in the same shape.
class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, std::string message, std::string field = "")
      : std::runtime_error(message),
        status_(status),
        code_(std::move(code)),
        field_(std::move(field)) {}

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
  std::vector<std::pair<std::string, std::string>> headers_;
};

// The envelope for a status/code/message triple without an exception.
nlohmann::json ErrorEnvelope(const std::string& code, const std::string& message,
                             const std::string& field = "");

}  // namespace sloth::http
