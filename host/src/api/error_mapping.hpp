#pragma once

// The one place a domain error becomes HTTP: its code's status, the envelope
// {"error": {code, message, field?, details?}} and the headers some codes carry.

#include <functional>

#include "errors/error.hpp"
#include "http/api_error.hpp"
#include "http/request.hpp"

namespace sloth::api {

int StatusOf(errors::Code code);
http::ApiError ToHttp(const errors::Error& e);

// Runs `handler`, turning an errors::Error it throws into its http::ApiError.
http::Response MapErrors(const std::function<http::Response()>& handler);

}  // namespace sloth::api
