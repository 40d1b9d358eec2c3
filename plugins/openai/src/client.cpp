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

Client MakeClient(const sloth::Host& host, const json& c) {
  const std::string key = host.Secret("api_key").value_or("");
  if (key.empty())
    throw sloth::Error(sloth::Status::kInvalidArgument, "set SLOTH_PLUGIN_OPENAI_API_KEY");
  return Client(host, c.value("base_url", "https://api.openai.com/v1"), key,
                c.value("max_retries", 2));
}

json Client::Post(const std::string& path, const json& body, int timeout_ms) {
  return json::parse(Exchange(path, body, timeout_ms, [](const std::string& b) {
    const auto j = json::parse(b, nullptr, false);
    return j.is_object();
  }));
}

std::string Client::PostForText(const std::string& path, const json& body, int timeout_ms) {
  return Exchange(path, body, timeout_ms, [](const std::string&) { return true; });
}

std::string Client::Exchange(const std::string& path, const json& body, int timeout_ms,
                             bool (*accept)(const std::string& body)) {
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
      if (accept(resp->body)) return std::move(resp->body);
      // As the official client: a 2xx it cannot read is an error, not retried.
      throw sloth::Error(sloth::Status::kUnavailable,
                         "openai: the response is not what " + path + " answers (malformed)");
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
