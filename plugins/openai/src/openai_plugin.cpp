// The plugin's entry: the kinds it provides. The API client and its retry policy live in
// client.* and retry_policy.*, shared by every kind.

#include "embedder.hpp"

SLOTH_PLUGIN(openai::OpenAiEmbedder, "openai", "1.0.0")
