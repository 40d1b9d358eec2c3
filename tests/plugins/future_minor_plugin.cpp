// Declares (in plugin.json and in its descriptor) that it needs a newer host minor than
// this host provides.
#include "sloth/plugin.hpp"

namespace {
class FutureMinor final : public sloth::Channel {
 public:
  explicit FutureMinor(const sloth::InstanceArgs&) {}
  std::string Webhook(const sloth::WebhookRequest&) override { return "{}"; }
  std::string Send(std::string_view) override { return "{}"; }
};
}  // namespace

SLOTH_PLUGIN(FutureMinor, "future-minor", "1.0.0")
