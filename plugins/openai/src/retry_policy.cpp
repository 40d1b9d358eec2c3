#include "retry_policy.hpp"

#include <algorithm>
#include <cstdlib>

#include <nlohmann/json.hpp>

namespace openai {

using json = nlohmann::json;

RetryDecision Decide(const sloth::HttpResponse& r) {
  RetryDecision d;
  const auto body = json::parse(r.body, nullptr, false);
  const json err =
      body.is_object() && body.value("error", json()).is_object() ? body["error"] : json::object();
  d.message = "openai: HTTP " + std::to_string(r.status) + ": " +
              (err.value("message", json()).is_string() ? err["message"].get<std::string>() : "");
  if (const auto should = r.Header("x-should-retry")) {
    d.retry = *should == "true";
  } else {
    const int s = r.status;
    const bool transient = s == 408 || s == 409 || s == 429 || s >= 500;
    d.retry = transient && err.value("code", json()) != "insufficient_quota";
  }
  if (const auto ms = r.Header("retry-after-ms")) {
    d.delay = std::chrono::milliseconds(std::atol(ms->c_str()));
  } else if (const auto sec = r.Header("retry-after")) {
    d.delay = std::chrono::milliseconds(static_cast<long>(std::atof(sec->c_str()) * 1000));
  }
  if (d.delay.count() <= 0 || d.delay > std::chrono::seconds(120)) d.delay = {};
  const int s = r.status;
  d.status = s == 401 || s == 403 ? sloth::Status::kUnauthenticated
             : s == 429           ? sloth::Status::kRateLimited
             : s >= 500           ? sloth::Status::kUnavailable
                                  : sloth::Status::kInvalidArgument;
  return d;
}

std::chrono::milliseconds Backoff(int attempt, double jitter) {
  const double base = std::min(8.0, 0.5 * (1 << std::min(attempt, 10)));
  return std::chrono::milliseconds(static_cast<long>(base * 1000 * (1.0 - 0.25 * jitter)));
}

}  // namespace openai
