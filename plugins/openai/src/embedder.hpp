#pragma once

// The `embedder` kind: texts in batches to /embeddings, vectors L2-normalised (the host
// compares by dot product).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "client.hpp"
#include "sloth/plugin.hpp"

namespace openai {

class OpenAiEmbedder : public virtual sloth::Embedder {
 public:
  explicit OpenAiEmbedder(const sloth::InstanceArgs& args);

  uint32_t Dimension() const override { return dim_; }
  void Embed(const std::vector<std::string_view>& texts, float* out) override;

 private:
  Client client_;
  std::string model_;
  uint32_t dim_ = 384, batch_ = 128;
};

}  // namespace openai
