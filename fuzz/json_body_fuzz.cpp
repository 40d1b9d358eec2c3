// A request body read as the routes read it: a JSON object or a 400 naming the body.
#include <cstdint>
#include <string>

#include "http/api_error.hpp"
#include "http/request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  sloth::http::Request req;
  req.body.assign(reinterpret_cast<const char*>(data), size);
  try {
    const auto j = req.Json();
    if (!j.is_object()) __builtin_trap();
  } catch (const sloth::http::ApiError& e) {
    if (e.status() != 400) __builtin_trap();
  }
  return 0;
}
