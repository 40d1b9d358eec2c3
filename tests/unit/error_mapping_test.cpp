// One vocabulary of error codes, one mapping to HTTP.

#include <gtest/gtest.h>

#include "api/error_mapping.hpp"

namespace sloth::api {
namespace {

using errors::Code;

TEST(ErrorMapping, EveryCodeHasItsStatusAndWireName) {
  const std::tuple<Code, int, const char*> table[] = {
      {Code::kInvalidArgument, 400, "invalid_argument"},
      {Code::kUnauthenticated, 401, "unauthenticated"},
      {Code::kForbidden, 403, "forbidden"},
      {Code::kNotFound, 404, "not_found"},
      {Code::kConflict, 409, "conflict"},
      {Code::kGone, 410, "gone"},
      {Code::kPayloadTooLarge, 413, "payload_too_large"},
      {Code::kUnsupportedMediaType, 415, "unsupported_media_type"},
      {Code::kPaymentRequired, 402, "payment_required"},
      {Code::kLimitReached, 429, "limit_exceeded"},
      {Code::kRateLimited, 429, "rate_limited"},
      {Code::kUnavailable, 503, "unavailable"},
      {Code::kProviderError, 502, "provider_error"},
      {Code::kBadSignature, 400, "bad_signature"},
  };
  for (const auto& [code, status, name] : table) {
    const auto e = ToHttp(errors::Error(code, "why", "field"));
    EXPECT_EQ(e.status(), status) << name;
    EXPECT_EQ(e.code(), name);
    EXPECT_EQ(e.Envelope()["error"]["field"], "field");
    EXPECT_FALSE(e.Envelope()["error"].contains("details")) << "empty details are left out";
  }
}

TEST(ErrorMapping, ReasonsAndHeaders) {
  const auto token =
      ToHttp({Code::kUnauthenticated, "the token expired", "", {{"reason", "invalid_token"}}});
  ASSERT_EQ(token.headers().size(), 1u);
  EXPECT_EQ(token.headers()[0].first, "WWW-Authenticate");
  EXPECT_EQ(token.Envelope()["error"]["details"]["reason"], "invalid_token");
  const auto login = ToHttp({Code::kUnauthenticated, "invalid email or password"});
  EXPECT_TRUE(login.headers().empty());
  const auto later = ToHttp({Code::kRateLimited, "slow down", "", {{"retry_after_s", 7}}});
  ASSERT_EQ(later.headers().size(), 1u);
  EXPECT_EQ(later.headers()[0].second, "7");
}

TEST(ErrorMapping, DomainErrorsThrownByAHandlerLeaveAsHttp) {
  try {
    MapErrors([]() -> http::Response { throw errors::Error::NotFound("no such photo", "id"); });
    FAIL() << "MapErrors swallowed the error";
  } catch (const http::ApiError& e) {
    EXPECT_EQ(e.status(), 404);
    EXPECT_EQ(e.field(), "id");
    EXPECT_STREQ(e.what(), "no such photo");
  }
}

}  // namespace
}  // namespace sloth::api
