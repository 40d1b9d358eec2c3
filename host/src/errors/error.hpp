#pragma once

// The one error type of the core. Code below the routes (accounts, billing, knowledge,
// channels, ...) throws it or returns it; it knows nothing of HTTP. api/error_mapping.cpp is
// the one place that turns a code into a status and the {"error": {...}} envelope.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

namespace sloth::errors {

// A closed vocabulary: each code is one kind of failure a caller can act on. The wire
// names (Name) are part of the REST contract; add codes at the end, never rename one.
enum class Code {
  kInvalidArgument,       // the input is wrong; `field` names it
  kUnauthenticated,       // who is asking is unknown or their credentials are bad
  kForbidden,             // known, but not allowed to do this
  kNotFound,              // no such object (in the caller's organisation)
  kConflict,              // the object's state does not allow it (already used, taken, ...)
  kGone,                  // it existed and was removed for good
  kPayloadTooLarge,       // a body or file past its limit
  kUnsupportedMediaType,  // a body or file of a type the route does not take
  kPaymentRequired,       // the plan or subscription does not allow it
  kLimitReached,          // a plan's limit is used up; details: {limit, used, max}
  kRateLimited,           // too many requests; details: {retry_after_s}
  kUnavailable,           // a dependency (provider, storage, model) is not available now
  kProviderError,         // a provider answered with an error we cannot recover from
  kBadSignature,          // a webhook whose signature does not verify
};

// The code's wire name ("invalid_argument", "limit_exceeded", ...).
const char* Name(Code code);

class Error : public std::runtime_error {
 public:
  Error(Code code, std::string message, std::string field = "",
        nlohmann::json details = nlohmann::json::object())
      : std::runtime_error(message),
        code_(code),
        field_(std::move(field)),
        details_(std::move(details)) {}

  Code code() const { return code_; }
  const std::string& field() const { return field_; }
  // Structured facts a client may act on: a limit's name/used/max, a finer reason
  // ("weak_password", "feature_not_in_plan"), alternatives; an object, never null.
  const nlohmann::json& details() const { return details_; }

  static Error InvalidArgument(std::string message, std::string field = "") {
    return {Code::kInvalidArgument, std::move(message), std::move(field)};
  }
  static Error NotFound(std::string message, std::string field = "") {
    return {Code::kNotFound, std::move(message), std::move(field)};
  }
  static Error Conflict(std::string message, std::string field = "") {
    return {Code::kConflict, std::move(message), std::move(field)};
  }
  static Error Unavailable(std::string message, std::string field = "") {
    return {Code::kUnavailable, std::move(message), std::move(field)};
  }
  static Error PaymentRequired(std::string message, std::string field = "") {
    return {Code::kPaymentRequired, std::move(message), std::move(field)};
  }
  // A plan's limit: `limit` names it (messages, documents, integrations, ...).
  static Error LimitReached(std::string message, const std::string& limit, std::int64_t used,
                            std::int64_t max) {
    return {Code::kLimitReached,
            std::move(message),
            limit,
            {{"limit", limit}, {"used", used}, {"max", max}}};
  }

 private:
  Code code_;
  std::string field_;
  nlohmann::json details_;
};

}  // namespace sloth::errors
