#pragma once

#include <string>
#include <string_view>

#include "sloth/plugin.hpp"

namespace bench {

// The work both sides of the benchmark do: answer a send with a fixed small document, so
// what is measured is the call path, not the operation.
inline std::string Reply(std::string_view message_json) {
  return message_json.empty() ? std::string(R"({"message_id":"0"})")
                              : std::string(R"({"message_id":"1"})");
}

class BenchChannel final : public sloth::Channel {
 public:
  explicit BenchChannel(const sloth::InstanceArgs&) {}
  std::string Webhook(const sloth::WebhookRequest&) override { return R"({"events":[]})"; }
  std::string Send(std::string_view message_json) override { return Reply(message_json); }
};

// The same operation behind a plain C++ interface, for the direct-call baseline.
class Sender {
 public:
  virtual ~Sender() = default;
  virtual std::string Send(std::string_view message_json) = 0;
};

// Defined in another translation unit so the compiler cannot devirtualise the call.
Sender* MakeDirectSender();

}  // namespace bench
