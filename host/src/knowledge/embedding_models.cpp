#include "knowledge/embedding_models.hpp"

#include <algorithm>

#include "errors/error.hpp"

namespace sloth::knowledge {

EmbeddingModels::EmbeddingModels(plugins::PluginManager& plugins, std::string default_model,
                                 std::vector<EmbeddingModel> models) {
  const auto def = std::find_if(models.begin(), models.end(),
                                [&](const EmbeddingModel& m) { return m.name == default_model; });
  if (def == models.end())
    models.insert(models.begin(), {default_model, default_model});
  else
    std::rotate(models.begin(), def, def + 1);
  for (const auto& m : models) {
    names_.push_back(m.name);
    instances_[m.name] = std::make_unique<plugins::PlatformInstance>(
        plugins, m.plugin, "knowledge-embedder-" + m.name, "knowledge: embedder " + m.name,
        m.config);
  }
}

void EmbeddingModels::Start() {
  for (auto& [name, inst] : instances_) inst->Start();
}

void EmbeddingModels::Stop() {
  for (auto& [name, inst] : instances_) inst->Stop();
}

bool EmbeddingModels::Offers(const std::string& name) const {
  return std::find(names_.begin(), names_.end(), name) != names_.end();
}

std::vector<float> EmbeddingModels::Embed(const std::string& model,
                                          const std::vector<std::string>& texts) {
  const auto it = instances_.find(model);
  const auto inst = it == instances_.end() ? nullptr : it->second->Get();
  if (!inst) throw errors::Error::Unavailable("the embedding model " + model + " is not available");
  std::vector<float> out;
  std::uint32_t dim = 0;  // the plugin reports it; rows of `out` are that long
  const auto r = inst->Embed(texts, out, dim);
  if (!r.ok()) throw errors::Error::Unavailable("embedding failed: " + r.error);
  if (texts.empty() || out.size() % texts.size() != 0)
    throw errors::Error(errors::Code::kProviderError, "the embedder returned a ragged result");
  return out;
}

}  // namespace sloth::knowledge
