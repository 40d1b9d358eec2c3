// OpenAI embeddings as the `embedder` kind: texts in batches, vectors L2-normalised (the
// host compares by dot product), retries as the official client does them.

#include <chrono>
#include <cmath>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "sloth/plugin.hpp"
#include "text.hpp"

namespace openai {

using json = nlohmann::json;

class OpenAiEmbedder final : public sloth::Embedder {
 public:
  explicit OpenAiEmbedder(const sloth::InstanceArgs& args) : host_(args.host) {
    const auto c = json::parse(args.config_json);
    base_ = sloth_plugins::BaseUrl(c.value("base_url", "https://api.openai.com/v1"));
    model_ = c.value("embedding_model", "text-embedding-3-small");
    dim_ = c.value("dimensions", 384u);
    batch_ = c.value("batch_size", 128u);
    retries_ = c.value("max_retries", 2);
    key_ = host_.Secret("api_key").value_or("");
    if (key_.empty())
      throw sloth::Error(sloth::Status::kInvalidArgument, "set SLOTH_PLUGIN_OPENAI_API_KEY");
  }

  uint32_t Dimension() const override { return dim_; }

  void Embed(const std::vector<std::string_view>& texts, float* out) override {
    for (std::size_t start = 0; start < texts.size(); start += batch_) {
      const std::size_t n = std::min<std::size_t>(batch_, texts.size() - start);
      json input = json::array();
      for (std::size_t i = 0; i < n; ++i) {
        // An empty input is an API error; one space embeds as "nothing".
        input.push_back(texts[start + i].empty() ? std::string(" ")
                                                 : std::string(texts[start + i]));
      }
      const json r =
          Post("/embeddings", {{"model", model_}, {"input", input}, {"dimensions", dim_}});
      const json data = r.value("data", json::array());
      if (!data.is_array() || data.size() != n)
        throw sloth::Error(sloth::Status::kUnavailable, "openai: wrong number of embeddings");
      for (const auto& d : data) {
        const std::size_t index = d.value("index", std::size_t{0});
        const json v = d.value("embedding", json::array());
        if (index >= n || v.size() != dim_)
          throw sloth::Error(sloth::Status::kUnavailable,
                             "openai: embedding of " + std::to_string(v.size()) +
                                 " dimensions, expected " + std::to_string(dim_));
        float* dst = out + (start + index) * dim_;
        double norm = 0;
        for (uint32_t k = 0; k < dim_; ++k) {
          dst[k] = v[k].get<float>();
          norm += static_cast<double>(dst[k]) * dst[k];
        }
        if (norm > 0) {
          const float inv = static_cast<float>(1.0 / std::sqrt(norm));
          for (uint32_t k = 0; k < dim_; ++k) dst[k] *= inv;
        }
      }
    }
  }

 private:
  json Post(const std::string& path, const json& body) {
    sloth::HttpRequest req;
    req.method = "POST";
    req.url = base_ + path;
    req.headers = {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}};
    req.body = body.dump();
    req.timeout_ms = 60000;
    for (int attempt = 0;; ++attempt) {
      std::optional<sloth::HttpResponse> resp;
      std::string what;
      try {
        resp = host_.Http(req);
      } catch (const sloth::Error& e) {
        what = e.what();
      }
      if (resp && resp->status >= 200 && resp->status < 300) {
        auto j = json::parse(resp->body, nullptr, false);
        if (j.is_object()) return j;
        what = "openai: response is not JSON";
      }
      bool retry = !resp;
      std::chrono::milliseconds delay{0};
      if (resp && what.empty()) {
        const auto e = json::parse(resp->body, nullptr, false);
        const json err = e.is_object() ? e.value("error", json::object()) : json::object();
        what = "openai: HTTP " + std::to_string(resp->status) + ": " + err.value("message", "");
        if (const auto should = resp->Header("x-should-retry")) {
          retry = *should == "true";
        } else {
          const int s = resp->status;
          const bool transient = s == 408 || s == 409 || s == 429 || s >= 500;
          retry = transient && err.value("code", json()) != "insufficient_quota";
        }
        if (const auto ms = resp->Header("retry-after-ms")) {
          delay = std::chrono::milliseconds(std::atol(ms->c_str()));
        } else if (const auto sec = resp->Header("retry-after")) {
          delay = std::chrono::milliseconds(static_cast<long>(std::atof(sec->c_str()) * 1000));
        }
        if (delay.count() <= 0 || delay > std::chrono::seconds(120)) delay = {};
        if (!retry || attempt >= retries_) {
          const int s = resp->status;
          throw sloth::Error(s == 401 || s == 403 ? sloth::Status::kUnauthenticated
                             : s == 429           ? sloth::Status::kRateLimited
                             : s >= 500           ? sloth::Status::kUnavailable
                                                  : sloth::Status::kInvalidArgument,
                             what);
        }
      }
      if (!retry || attempt >= retries_) throw sloth::Error(sloth::Status::kUnavailable, what);
      if (delay.count() == 0) {
        static thread_local std::mt19937 rng{std::random_device{}()};
        const double base = std::min(8.0, 0.5 * (1 << std::min(attempt, 10)));
        delay = std::chrono::milliseconds(static_cast<long>(
            base * 1000 * std::uniform_real_distribution<double>(0.75, 1.0)(rng)));
      }
      std::this_thread::sleep_for(delay);
    }
  }

  sloth::Host host_;
  std::string base_, model_, key_;
  uint32_t dim_ = 384, batch_ = 128;
  int retries_ = 2;
};

}  // namespace openai

SLOTH_PLUGIN(openai::OpenAiEmbedder, "openai", "1.0.0")
