// The plugin's entry: one instance provides both kinds (embedder, llm); the API client and
// its retry policy live in client.* and retry_policy.*, shared by both.

#include "chat.hpp"
#include "embedder.hpp"

namespace openai {

class OpenAi final : public OpenAiEmbedder, public OpenAiChat {
 public:
  explicit OpenAi(const sloth::InstanceArgs& args) : OpenAiEmbedder(args), OpenAiChat(args) {}
  // Every member is set at construction and only read afterwards; each call builds its own
  // request, so calls may run concurrently (a chat of several seconds must not hold up the
  // next client's).
  static constexpr bool kReentrant = true;
};

}  // namespace openai

SLOTH_PLUGIN(openai::OpenAi, "openai", "1.0.0")
