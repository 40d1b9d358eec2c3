#include "fakes/fake_openai.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

namespace sloth::fakes {
namespace {

using json = nlohmann::json;

FakeResponse Error(int status, const std::string& type, const std::string& code,
                   const std::string& message) {
  return FakeResponse::Json(
      status,
      json{{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}}}}
          .dump());
}

}  // namespace

FakeOpenAi::FakeOpenAi(std::string key)
    : key_(std::move(key)), server_([this](const FakeRequest& r) { return Handle(r); }) {}

FakeResponse FakeOpenAi::Handle(const FakeRequest& r) {
  if (r.Header("authorization") != "Bearer " + key_)
    return Error(401, "invalid_request_error", "invalid_api_key", "Incorrect API key provided.");
  if (no_quota_)
    return Error(429, "insufficient_quota", "insufficient_quota",
                 "You exceeded your current quota.");
  if (rate_limited_ > 0) {
    --rate_limited_;
    auto e = Error(429, "requests", "rate_limit_exceeded", "Rate limit reached for requests.");
    e.headers.emplace_back("retry-after-ms", "300");
    return e;
  }
  if (r.method != "POST" || r.path != "/v1/embeddings")
    return Error(404, "invalid_request_error", "unknown_url", "Unknown request URL.");
  const auto body = json::parse(r.body, nullptr, false);
  if (!body.is_object() || !body.contains("input"))
    return Error(400, "invalid_request_error", "", "'input' is a required property");
  const int dim = body.value("dimensions", 1536);
  const json inputs = body["input"].is_array() ? body["input"] : json::array({body["input"]});
  json data = json::array();
  int index = 0;
  for (const auto& in : inputs) {
    const std::string text = in.get<std::string>();
    if (text.empty()) return Error(400, "invalid_request_error", "", "'$.input' is invalid.");
    std::vector<double> v(static_cast<std::size_t>(dim), 0.0);
    for (std::size_t i = 0; i + 2 < text.size(); ++i) {  // letter trigrams
      const unsigned h = static_cast<unsigned char>(text[i]) * 31u * 31u +
                         static_cast<unsigned char>(text[i + 1]) * 31u +
                         static_cast<unsigned char>(text[i + 2]);
      v[h % static_cast<unsigned>(dim)] += 1.0;
    }
    data.push_back({{"object", "embedding"}, {"index", index++}, {"embedding", v}});
  }
  return FakeResponse::Json(200, json{{"object", "list"},
                                      {"data", data},
                                      {"model", body.value("model", "")},
                                      {"usage", {{"prompt_tokens", 8}, {"total_tokens", 8}}}}
                                     .dump());
}

}  // namespace sloth::fakes
