#pragma once

// One images:annotate response -> the host's analysis: {"labels":[{"name","score"}],
// "text", "objects":[{"name","score"}], "faces": n}. A per-image error (HTTP 200 with
// `error`) throws AnnotateError with its gRPC code and message.

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace vision {

class AnnotateError : public std::runtime_error {
 public:
  AnnotateError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

nlohmann::json ToAnalysis(const nlohmann::json& image_response);

}  // namespace vision
