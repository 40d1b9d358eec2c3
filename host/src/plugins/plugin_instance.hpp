#pragma once

// The host's side of one plugin instance: its lifecycle, the serialisation and timeout of
// every call into it, and the state host services consult when the plugin calls back.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "plugins/executor.hpp"
#include "plugins/manifest.hpp"
#include "sloth/plugin.h"

namespace sloth::db {
class Pool;
}
namespace sloth::metrics {
class Registry;
}
namespace sloth::outbound {
class HttpClient;
}

namespace sloth::plugins {
class PluginInstance;
}

// The opaque handles of plugin.h, defined by the host.
struct sloth_instance_ctx {
  sloth::plugins::PluginInstance* instance = nullptr;
};

struct sloth_call {
  std::string output;
  std::string error;
  std::uint32_t retry_after_ms = 0;
  std::atomic<bool> cancelled{false};
};

namespace sloth::plugins {

// A library that passed every check and whose init succeeded. Never unloaded.
struct LoadedPlugin {
  Manifest manifest;
  const sloth_plugin_api* api = nullptr;
  bool reentrant = false;
};

struct CallOutcome {
  std::int32_t status = SLOTH_INTERNAL;
  std::string output;
  std::string error;
  std::uint32_t retry_after_ms = 0;
  bool ok() const { return status == SLOTH_OK; }
};

// A plugin call failed; carries the plugin's status and message.
class PluginError : public std::runtime_error {
 public:
  PluginError(std::int32_t status, const std::string& what)
      : std::runtime_error(what), status_(status) {}
  std::int32_t status() const { return status_; }

 private:
  std::int32_t status_;
};

// What host services need. Owned by the PluginManager; outlives every instance.
struct HostContext {
  db::Pool* pool = nullptr;              // per-instance key-value store
  outbound::HttpClient* http = nullptr;  // the host's HTTP client
  metrics::Registry* metrics = nullptr;
  Executor* executor = nullptr;
  nlohmann::json plugin_configs = nlohmann::json::object();           // plugins.config in host.yaml
  std::function<std::optional<std::string>(const std::string&)> env;  // secrets
  // Inbound events from a plugin (long-poll channels). Returns a sloth_status; until a
  // consumer is attached, events are refused (SLOTH_UNAVAILABLE) so the plugin retries.
  std::function<std::int32_t(PluginInstance&, const std::string& events_json)> emit;
  std::chrono::milliseconds call_timeout{30000};
  // By plugin kind ("llm", "storage", ...); kinds not listed use call_timeout.
  std::map<std::string, std::chrono::milliseconds, std::less<>> kind_timeouts;

  // The timeout of operation `op` ("chat", "put", "send", ...): its kind's, else the default.
  std::chrono::milliseconds TimeoutFor(std::string_view op) const;
};

struct InstanceSpec {
  std::string instance_id;
  std::optional<std::int64_t> tenant_id;  // empty for platform-wide instances
  nlohmann::json config = nlohmann::json::object();
};

class PluginInstance : public std::enable_shared_from_this<PluginInstance> {
 public:
  enum class State { kCreating, kCreated, kStarted, kStopping, kStopped, kFailed };

  // Calls the plugin's create. Throws PluginError when it fails or times out; then nothing
  // else is ever called for this instance.
  static std::shared_ptr<PluginInstance> Create(std::shared_ptr<const LoadedPlugin> plugin,
                                                InstanceSpec spec, HostContext& host);
  // Destroys the plugin's instance once no call is in flight (each call holds a reference).
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  CallOutcome Start();
  // Cancels posted work, calls the plugin's stop; afterwards no call crosses either way.
  CallOutcome Stop();
  CallOutcome Health();

  // Channel.
  struct Webhook {
    std::string method, path, query, body;
    std::vector<std::pair<std::string, std::string>> headers;
  };
  CallOutcome ChannelWebhook(const Webhook& request);
  CallOutcome Send(const std::string& message_json);
  CallOutcome Poll(std::uint32_t timeout_ms);
  CallOutcome Connect(const std::string& request_json);
  // Undoes connect; for a calendar, revokes its credentials at the provider.
  CallOutcome Disconnect();
  // LLM.
  CallOutcome Chat(const std::string& request_json);
  // Embedder: vectors row-major, texts.size() x dimension.
  CallOutcome Embed(const std::vector<std::string>& texts, std::vector<float>& vectors,
                    std::uint32_t& dimension);
  // Vision.
  CallOutcome Analyze(const std::string& image, const std::string& content_type,
                      const std::string& options_json);
  // Calendar.
  CallOutcome FreeBusy(const std::string& request_json);
  CallOutcome CreateEvent(const std::string& event_json);
  CallOutcome UpdateEvent(const std::string& event_json);
  CallOutcome DeleteEvent(const std::string& calendar_id, const std::string& event_id);
  // ABI 1.3: OAuth consent and incremental sync; SLOTH_UNSUPPORTED from older plugins.
  CallOutcome AuthorizeUrl(const std::string& request_json);
  CallOutcome ExchangeCode(const std::string& request_json);
  CallOutcome ListEvents(const std::string& request_json);
  // Storage.
  CallOutcome Put(const std::string& key, const std::string& data, const std::string& content_type);
  CallOutcome Get(const std::string& key);
  CallOutcome Remove(const std::string& key);
  CallOutcome List(const std::string& prefix, const std::string& cursor, std::uint32_t limit);
  // Streamed writes (ABI 1.2); SLOTH_UNSUPPORTED from BeginPut when the plugin has none.
  CallOutcome BeginPut(const std::string& key, const std::string& content_type);
  CallOutcome PutPart(const std::string& upload_id, std::string data);
  CallOutcome CommitPut(const std::string& upload_id);
  CallOutcome AbortPut(const std::string& upload_id);
  // Payment.
  CallOutcome CreateCheckout(const std::string& request_json);
  CallOutcome PaymentWebhook(const Webhook& request);
  CallOutcome CancelSubscription(const std::string& request_json);

  const LoadedPlugin& plugin() const { return *plugin_; }
  const InstanceSpec& spec() const { return spec_; }
  State state() const { return state_.load(); }
  HostContext& host() { return host_; }
  // Host services answer only while this is true (from create until stop returns).
  bool AcceptsHostCalls() const;
  // Posts plugin work (host service `post`); false when the instance no longer accepts it.
  bool PostTask(std::uint32_t delay_ms, sloth_task_fn fn, void* arg);
  // Logs a refused host call once per instance.
  void NoteRefusedHostCall(const char* service);

 private:
  PluginInstance(std::shared_ptr<const LoadedPlugin> plugin, InstanceSpec spec, HostContext& host);

  CallOutcome CalendarDisconnect();
  enum class Output { kJson, kBytes, kNone };
  CallOutcome Invoke(const char* op, Output output,
                     std::function<std::int32_t(void*, sloth_call*)> fn);
  bool Dispatch(std::function<void()> task);
  void RunPending(std::uint64_t id);

  std::shared_ptr<const LoadedPlugin> plugin_;
  InstanceSpec spec_;
  std::string config_text_;
  HostContext& host_;
  sloth_instance_ctx ctx_;
  std::shared_ptr<Strand> strand_;
  void* handle_ = nullptr;  // the plugin's instance pointer
  std::atomic<State> state_{State::kCreating};
  std::atomic<bool> refused_logged_{false};
  // Calls dispatched and not yet finished; Stop waits for them on reentrant plugins, whose
  // calls are not ordered behind stop by the strand.
  std::mutex flight_mu_;
  std::condition_variable flight_cv_;
  int in_flight_ = 0;

  struct Pending {
    sloth_task_fn fn;
    void* arg;
  };
  std::mutex posts_mu_;
  std::map<std::uint64_t, Pending> pending_;
  std::uint64_t next_post_ = 1;
};

const char* StateName(PluginInstance::State s);

}  // namespace sloth::plugins
