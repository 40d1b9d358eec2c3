#include "client.hpp"

#include <optional>
#include <random>
#include <thread>

#include "retry_policy.hpp"
#include "text.hpp"

namespace openai {

using json = nlohmann::json;

Client::Client(sloth::Host host, const std::string& base_url, std::string api_key, int max_retries)
    : host_(host),
      base_(sloth_plugins::BaseUrl(base_url)),
      key_(std::move(api_key)),
      retries_(max_retries) {}

json Client::Post(const std::string& path, const json& body, int timeout_ms) {
  sloth::HttpRequest req;
  req.method = "POST";
  req.url = base_ + path;
  req.headers = {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}};
  req.body = body.dump();
  req.timeout_ms = timeout_ms;
  static thread_local std::mt19937 rng{std::random_device{}()};
  for (int attempt = 0;; ++attempt) {
    std::optional<sloth::HttpResponse> resp;
    RetryDecision d;
    try {
      resp = host_.Http(req);
    } catch (const sloth::Error& e) {
      d.retry = true;  // no answer at all (connection, timeout): retried like a 5xx
      d.message = e.what();
    }
    if (resp && resp->status >= 200 && resp->status < 300) {
      auto j = json::parse(resp->body, nullptr, false);
      if (j.is_object()) return j;
      d.retry = true;
      d.message = "openai: response is not JSON";
    } else if (resp) {
      d = Decide(*resp);
    }
    if (!d.retry || attempt >= retries_) throw sloth::Error(d.status, d.message);
    const auto wait = d.delay.count() > 0
                          ? d.delay
                          : Backoff(attempt, std::uniform_real_distribution<double>(0, 1)(rng));
    std::this_thread::sleep_for(wait);
  }
}

}  // namespace openai
