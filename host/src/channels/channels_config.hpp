#pragma once

// The `channels` section of host.yaml: burst window, the reply past the plan's limit, and
// long polling.

#include <chrono>
#include <string>

#include <yaml-cpp/yaml.h>

#include "schema/schema.hpp"

namespace sloth::channels {

struct ChannelsConfig {
  std::chrono::milliseconds burst_window{1000};  // messages of one chat answered together
  std::string limit_reply;  // sent instead of an answer when the plan's limit is reached
  bool polling = true;      // run long-poll loops for integrations in polling mode
  std::chrono::milliseconds poll_timeout{10000};
  std::chrono::milliseconds poll_rescan{5000};
  int poll_threads = 16;
  int media_retention_days = 90;

  static config::Field Schema();
  static ChannelsConfig Read(const YAML::Node& section, const std::string& file);
};

}  // namespace sloth::channels
