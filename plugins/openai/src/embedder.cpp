#include "embedder.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

namespace openai {
namespace {

using json = nlohmann::json;

}  // namespace

OpenAiEmbedder::OpenAiEmbedder(const sloth::InstanceArgs& args)
    : client_(MakeClient(args.host, json::parse(args.config_json))) {
  const auto c = json::parse(args.config_json);
  model_ = c.value("embedding_model", "text-embedding-3-small");
  dim_ = c.value("dimensions", 384u);
  batch_ = c.value("batch_size", 128u);
}

void OpenAiEmbedder::Embed(const std::vector<std::string_view>& texts, float* out) {
  for (std::size_t start = 0; start < texts.size(); start += batch_) {
    const std::size_t n = std::min<std::size_t>(batch_, texts.size() - start);
    json input = json::array();
    for (std::size_t i = 0; i < n; ++i) {
      // An empty input is an API error; one space embeds as "nothing".
      input.push_back(texts[start + i].empty() ? std::string(" ") : std::string(texts[start + i]));
    }
    const json r = client_.Post("/embeddings",
                                {{"model", model_}, {"input", input}, {"dimensions", dim_}}, 60000);
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

}  // namespace openai
