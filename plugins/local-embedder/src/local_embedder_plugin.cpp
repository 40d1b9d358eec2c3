// The offline embedder as a plugin: a thin wrapper over HashedEmbedder.
#include <nlohmann/json.hpp>

#include "hashed_embedder.hpp"
#include "sloth/plugin.hpp"

namespace local_embedder {

class LocalEmbedder final : public sloth::Embedder {
 public:
  explicit LocalEmbedder(const sloth::InstanceArgs& args)
      : embedder_(nlohmann::json::parse(args.config_json).value("dimension", 384u)) {}
  // Pure computation on immutable state: calls may run concurrently.
  static constexpr bool kReentrant = true;

  uint32_t Dimension() const override { return embedder_.dimension(); }
  void Embed(const std::vector<std::string_view>& texts, float* vectors) override {
    for (std::size_t i = 0; i < texts.size(); ++i)
      embedder_.Embed(texts[i], vectors + i * embedder_.dimension());
  }

 private:
  HashedEmbedder embedder_;
};

}  // namespace local_embedder

SLOTH_PLUGIN(local_embedder::LocalEmbedder, "local-embedder", "1.0.0")
