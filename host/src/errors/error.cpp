#include "errors/error.hpp"

namespace sloth::errors {

const char* Name(Code code) {
  switch (code) {
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kUnauthenticated:
      return "unauthenticated";
    case Code::kForbidden:
      return "forbidden";
    case Code::kNotFound:
      return "not_found";
    case Code::kConflict:
      return "conflict";
    case Code::kGone:
      return "gone";
    case Code::kPayloadTooLarge:
      return "payload_too_large";
    case Code::kUnsupportedMediaType:
      return "unsupported_media_type";
    case Code::kPaymentRequired:
      return "payment_required";
    case Code::kLimitReached:
      return "limit_exceeded";  // the name clients have relied on since plans had limits
    case Code::kRateLimited:
      return "rate_limited";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kProviderError:
      return "provider_error";
    case Code::kBadSignature:
      return "bad_signature";
  }
  return "internal";
}

}  // namespace sloth::errors
