#pragma once

// Host-side helpers for calling through the C ABI: views over host strings (valid for the
// call only) and the refusals the host answers itself. Internal to plugins/.

#include <string>
#include <vector>

#include "plugins/plugin_instance.hpp"
#include "sloth/plugin.hpp"

namespace sloth::plugins {

inline sloth_str View(const std::string& s) {
  return sloth_str{s.data(), s.size()};
}
inline sloth_bytes Bytes(const std::string& s) {
  return sloth_bytes{reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The wrapper's names ("invalid_argument", ...) are the ones plugin authors see too.
inline const char* StatusText(std::int32_t s) {
  return sloth::StatusName(s);
}

inline CallOutcome Refused(std::int32_t status, const std::string& why) {
  CallOutcome o;
  o.status = status;
  o.error = why;
  return o;
}

// A webhook request whose views point into `w`, which the calling task owns.
struct WebhookViews {
  explicit WebhookViews(const PluginInstance::Webhook& w) {
    for (const auto& [k, v] : w.headers) headers.push_back(sloth_header{View(k), View(v)});
    req.struct_size = sizeof req;
    req.method = View(w.method);
    req.path = View(w.path);
    req.query = View(w.query);
    req.headers = headers.data();
    req.header_count = headers.size();
    req.body = Bytes(w.body);
  }
  std::vector<sloth_header> headers;
  sloth_webhook_request req{};
};

// In a PluginInstance member: refuses a call to an instance not started, or to a plugin
// that does not provide the kind `table`.
#define SLOTH_REQUIRE_KIND(table)                                                              \
  if (state_ != State::kStarted) {                                                             \
    return Refused(SLOTH_UNAVAILABLE, std::string("instance is ") + StateName(state_.load())); \
  }                                                                                            \
  if (!plugin_->api->table) {                                                                  \
    return Refused(SLOTH_UNSUPPORTED, "plugin " + plugin_->manifest.id + " is not a " #table); \
  }

}  // namespace sloth::plugins
