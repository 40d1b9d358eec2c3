#include "api/error_mapping.hpp"

namespace sloth::api {

int StatusOf(errors::Code code) {
  using errors::Code;
  switch (code) {
    case Code::kInvalidArgument:
    case Code::kBadSignature:
      return 400;
    case Code::kUnauthenticated:
      return 401;
    case Code::kPaymentRequired:
      return 402;
    case Code::kForbidden:
      return 403;
    case Code::kNotFound:
      return 404;
    case Code::kConflict:
      return 409;
    case Code::kGone:
      return 410;
    case Code::kPayloadTooLarge:
      return 413;
    case Code::kUnsupportedMediaType:
      return 415;
    case Code::kLimitReached:
    case Code::kRateLimited:
      return 429;
    case Code::kProviderError:
      return 502;
    case Code::kUnavailable:
      return 503;
  }
  return 500;
}

http::ApiError ToHttp(const errors::Error& e) {
  http::ApiError out(StatusOf(e.code()), errors::Name(e.code()), e.what(), e.field(), e.details());
  const auto& d = e.details();
  if (e.code() == errors::Code::kUnauthenticated && d.value("reason", "") == "invalid_token")
    out.WithHeader("WWW-Authenticate", "Bearer error=\"invalid_token\"");
  if (e.code() == errors::Code::kRateLimited && d.contains("retry_after_s"))
    out.WithHeader("Retry-After", d["retry_after_s"].dump());
  return out;
}

}  // namespace sloth::api
