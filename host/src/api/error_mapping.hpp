#pragma once

// The one place a domain error becomes HTTP: its code's status, the envelope
// {"error": {code, message, field?, details?}} and the headers some codes carry.

#include "errors/error.hpp"
#include "http/api_error.hpp"
#include "http/request.hpp"

namespace sloth::api {

int StatusOf(errors::Code code);
http::ApiError ToHttp(const errors::Error& e);

// Runs `handler`, turning an errors::Error it throws into its http::ApiError. A template:
// it wraps every API request.
template <typename F>
http::Response MapErrors(F&& handler) {
  try {
    return handler();
  } catch (const errors::Error& e) {
    throw ToHttp(e);
  }
}

}  // namespace sloth::api
