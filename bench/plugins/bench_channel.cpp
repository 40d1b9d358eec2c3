#include "bench_channel.hpp"

namespace bench {
namespace {

class DirectSender final : public Sender {
 public:
  std::string Send(std::string_view message_json) override { return Reply(message_json); }
};

}  // namespace

Sender* MakeDirectSender() {
  return new DirectSender;
}

}  // namespace bench
