#include "channels/channels_config.hpp"

namespace sloth::channels {

config::Field ChannelsConfig::Schema() {
  using namespace config;
  return Section(
      "channels",
      {Int("burst_window_ms", 1000, 0, 60000,
           "messages from one chat within this window get one answer"),
       Str("limit_reply",
           "Thank you for your message! We have reached our message limit for now; "
           "the salon will get back to you soon.",
           "sent without calling any model when the plan's limit is reached"),
       Bool("polling", true, "long-poll integrations connected in polling mode"),
       Int("poll_timeout_ms", 10000, 1000, 60000, "how long one long poll waits (bounds shutdown)"),
       Int("poll_rescan_ms", 5000, 100, 600000,
           "how often the poller looks for polling integrations"),
       Int("media_retention_days", 90, 1, 3650,
           "photos clients send are removed this many days after they arrived"),
       Int("poll_threads", 16, 1, 1024,
           "threads polling all polling integrations (each long-polls while there are no "
           "more integrations than threads; beyond, they poll in turn without waiting)")},
      "messaging channels");
}

ChannelsConfig ChannelsConfig::Read(const YAML::Node& s, const std::string&) {
  ChannelsConfig c;
  c.burst_window = std::chrono::milliseconds(s["burst_window_ms"].as<int>());
  c.limit_reply = s["limit_reply"].as<std::string>();
  c.polling = s["polling"].as<bool>();
  c.poll_timeout = std::chrono::milliseconds(s["poll_timeout_ms"].as<int>());
  c.poll_rescan = std::chrono::milliseconds(s["poll_rescan_ms"].as<int>());
  c.poll_threads = s["poll_threads"].as<int>();
  c.media_retention_days = s["media_retention_days"].as<int>();
  return c;
}

}  // namespace sloth::channels
