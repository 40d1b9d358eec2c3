#pragma once

// The embedding models organisations may choose (knowledge.embedding_models), each an
// embedder plugin with its settings, and one running instance per model. A model's name is
// what chunks record, so vectors of different models never mix.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "knowledge/knowledge_options.hpp"
#include "plugins/platform_instance.hpp"

namespace sloth::knowledge {

class EmbeddingModels {
 public:
  // `default_model`: the model of organisations that chose none; when `models` does not
  // define it, it is a plugin id used with its plain config.
  EmbeddingModels(plugins::PluginManager& plugins, std::string default_model,
                  std::vector<EmbeddingModel> models);

  void Start();  // one instance per model; a model whose plugin fails is unavailable
  void Stop();

  // The models organisations may choose, the default first.
  const std::vector<std::string>& Names() const { return names_; }
  const std::string& Default() const { return names_.front(); }
  bool Offers(const std::string& name) const;

  // Row-major vectors, one per text, of the dimension the model reports. Throws
  // errors::Error (unavailable) when the model's plugin is not running or the call fails.
  std::vector<float> Embed(const std::string& model, const std::vector<std::string>& texts);

 private:
  std::vector<std::string> names_;  // the default first
  // By model name; made at construction, so lookups need no lock.
  std::map<std::string, std::unique_ptr<plugins::PlatformInstance>> instances_;
};

}  // namespace sloth::knowledge
