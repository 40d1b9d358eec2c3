// Header-only C++ wrapper over sloth/plugin.h for plugin authors.
//
// Derive from one base class per kind (sloth::Channel, sloth::Llm, ...), write a
// constructor taking `const sloth::InstanceArgs&`, and export the library with
//   SLOTH_PLUGIN(MyPlugin, "my-plugin", "1.2.0")
// The macro generates the two exported C entry points and trampolines that catch every
// exception (a sloth::Error keeps its status; anything else becomes SLOTH_INTERNAL), so no
// exception ever crosses the ABI. Nothing here is exported: build with hidden visibility
// (sloth_add_plugin does).
#ifndef SLOTH_PLUGIN_HPP
#define SLOTH_PLUGIN_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sloth/plugin.h"

// The C layout the wrapper relies on when it builds views and arrays for the host.
static_assert(std::is_standard_layout_v<sloth_str> && std::is_trivially_copyable_v<sloth_str>);
static_assert(offsetof(sloth_str, data) == 0 && offsetof(sloth_str, size) == sizeof(void*));
static_assert(sizeof(sloth_str) == sizeof(void*) + sizeof(std::size_t));
static_assert(sizeof(sloth_bytes) == sizeof(sloth_str));
static_assert(sizeof(sloth_header) == 2 * sizeof(sloth_str));
static_assert(offsetof(sloth_host_api, struct_size) == 0);
static_assert(offsetof(sloth_plugin_api, struct_size) == 0);
static_assert(offsetof(sloth_plugin_info, struct_size) == 0);
static_assert(sizeof(float) == 4 && std::numeric_limits<float>::is_iec559,
              "embedding vectors cross the ABI as IEEE-754 binary32");
static_assert(sizeof(char) == sizeof(uint8_t));

namespace sloth {

enum class Status : int32_t {
  kOk = SLOTH_OK,
  kInvalidArgument = SLOTH_INVALID_ARGUMENT,
  kNotFound = SLOTH_NOT_FOUND,
  kUnauthenticated = SLOTH_UNAUTHENTICATED,
  kRateLimited = SLOTH_RATE_LIMITED,
  kUnavailable = SLOTH_UNAVAILABLE,
  kTimeout = SLOTH_TIMEOUT,
  kCancelled = SLOTH_CANCELLED,
  kUnsupported = SLOTH_UNSUPPORTED,
  kInternal = SLOTH_INTERNAL,
};

inline const char* StatusName(int32_t s) {
  switch (s) {
    case SLOTH_OK:
      return "ok";
    case SLOTH_INVALID_ARGUMENT:
      return "invalid_argument";
    case SLOTH_NOT_FOUND:
      return "not_found";
    case SLOTH_UNAUTHENTICATED:
      return "unauthenticated";
    case SLOTH_RATE_LIMITED:
      return "rate_limited";
    case SLOTH_UNAVAILABLE:
      return "unavailable";
    case SLOTH_TIMEOUT:
      return "timeout";
    case SLOTH_CANCELLED:
      return "cancelled";
    case SLOTH_UNSUPPORTED:
      return "unsupported";
    default:
      return "internal";
  }
}

// Throw from plugin code to return a specific status with a message.
class Error : public std::runtime_error {
 public:
  Error(Status status, const std::string& message, uint32_t retry_after_ms = 0)
      : std::runtime_error(message), status_(status), retry_after_ms_(retry_after_ms) {}
  Status status() const { return status_; }
  uint32_t retry_after_ms() const { return retry_after_ms_; }

 private:
  Status status_;
  uint32_t retry_after_ms_;
};

inline sloth_str ToC(std::string_view s) {
  return sloth_str{s.data(), s.size()};
}
inline std::string_view FromC(sloth_str s) {
  return s.size ? std::string_view(s.data, s.size) : std::string_view();
}
inline sloth_bytes BytesToC(std::string_view s) {
  return sloth_bytes{reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view FromC(sloth_bytes b) {
  return b.size ? std::string_view(reinterpret_cast<const char*>(b.data), b.size)
                : std::string_view();
}

namespace detail {

// The host table handed to sloth_plugin_init_v1. One per plugin library (hidden symbol).
inline const sloth_host_api*& HostApi() {
  static const sloth_host_api* api = nullptr;
  return api;
}

inline void AppendToString(void* ctx, const char* data, std::size_t size) {
  static_cast<std::string*>(ctx)->append(data, size);
}

inline sloth_sink StringSink(std::string* s) {
  return sloth_sink{s, &AppendToString};
}

}  // namespace detail

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  uint32_t timeout_ms = 0;
  uint32_t max_retries = 0;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // First header named `name` (ASCII case-insensitive).
  std::optional<std::string> Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k.size() != name.size()) continue;
      bool eq = true;
      for (std::size_t i = 0; i < k.size() && eq; ++i) {
        eq = (k[i] | 0x20) == (name[i] | 0x20);
      }
      if (eq) return v;
    }
    return std::nullopt;
  }
};

// The host's services for one instance. Every method is thread-safe. Methods that can
// fail throw sloth::Error with the host's status and message.
class Host {
 public:
  Host() = default;
  Host(const sloth_host_api* api, sloth_instance_ctx* ctx) : api_(api), ctx_(ctx) {}

  bool LogEnabled(sloth_log_level level) const { return api_->log_enabled(ctx_, level) != 0; }
  void Log(sloth_log_level level, std::string_view message) const {
    api_->log(ctx_, level, ToC(message));
  }
  void Debug(std::string_view m) const { Log(SLOTH_LOG_DEBUG, m); }
  void Info(std::string_view m) const { Log(SLOTH_LOG_INFO, m); }
  void Warn(std::string_view m) const { Log(SLOTH_LOG_WARN, m); }
  void LogError(std::string_view m) const { Log(SLOTH_LOG_ERROR, m); }

  // This plugin's section of the host configuration, as JSON text ("{}" when absent).
  std::string PluginConfig() const {
    std::string out;
    const sloth_sink sink = detail::StringSink(&out);
    Check(api_->plugin_config(ctx_, &sink), "plugin_config");
    return out.empty() ? "{}" : out;
  }
  std::optional<std::string> Secret(std::string_view name) const {
    std::string out;
    const sloth_sink sink = detail::StringSink(&out);
    const int32_t s = api_->secret(ctx_, ToC(name), &sink);
    if (s == SLOTH_NOT_FOUND) return std::nullopt;
    Check(s, "secret");
    return out;
  }

  std::optional<std::string> KvGet(std::string_view key) const {
    std::string out;
    const sloth_sink sink = detail::StringSink(&out);
    const int32_t s = api_->kv_get(ctx_, ToC(key), &sink);
    if (s == SLOTH_NOT_FOUND) return std::nullopt;
    Check(s, "kv_get");
    return out;
  }
  void KvPut(std::string_view key, std::string_view value) const {
    Check(api_->kv_put(ctx_, ToC(key), BytesToC(value)), "kv_put");
  }
  void KvDelete(std::string_view key) const { Check(api_->kv_delete(ctx_, ToC(key)), "kv_delete"); }

  // Throws sloth::Error when no response arrived; any HTTP status is a response.
  HttpResponse Http(const HttpRequest& req) const {
    std::vector<sloth_header> headers;
    headers.reserve(req.headers.size());
    for (const auto& [k, v] : req.headers) headers.push_back(sloth_header{ToC(k), ToC(v)});
    sloth_http_request r{};
    r.struct_size = sizeof r;
    r.method = ToC(req.method);
    r.url = ToC(req.url);
    r.headers = headers.data();
    r.header_count = headers.size();
    r.body = BytesToC(req.body);
    r.timeout_ms = req.timeout_ms;
    r.max_retries = req.max_retries;
    HttpResponse resp;
    sloth_http_response_sink sink{};
    sink.struct_size = sizeof sink;
    sink.ctx = &resp;
    sink.on_status = [](void* c, int32_t st) { static_cast<HttpResponse*>(c)->status = st; };
    sink.on_header = [](void* c, sloth_str k, sloth_str v) {
      static_cast<HttpResponse*>(c)->headers.emplace_back(FromC(k), FromC(v));
    };
    sink.on_body = [](void* c, const uint8_t* d, std::size_t n) {
      static_cast<HttpResponse*>(c)->body.append(reinterpret_cast<const char*>(d), n);
    };
    Check(api_->http(ctx_, &r, &sink), "http");
    return resp;
  }

  void Emit(std::string_view events_json) const {
    Check(api_->emit(ctx_, ToC(events_json)), "emit");
  }

  // Runs `task(cancelled)` after `delay_ms`, serialised with the instance.
  void Post(uint32_t delay_ms, std::function<void(bool cancelled)> task) const {
    auto* heap = new std::function<void(bool)>(std::move(task));
    const int32_t s = api_->post(
        ctx_, delay_ms,
        [](void*, void* arg, int32_t status) {
          std::unique_ptr<std::function<void(bool)>> fn(
              static_cast<std::function<void(bool)>*>(arg));
          try {
            (*fn)(status != SLOTH_OK);
          } catch (...) {
            // A posted task has no caller to report to; the host logs nothing for it.
          }
        },
        heap);
    if (s != SLOTH_OK) {
      delete heap;
      Check(s, "post");
    }
  }

  void CounterAdd(std::string_view name, double delta = 1.0) const {
    api_->counter_add(ctx_, ToC(name), delta);
  }

  sloth_instance_ctx* ctx() const { return ctx_; }
  const sloth_host_api* api() const { return api_; }

 private:
  static void Check(int32_t status, const char* what) {
    if (status != SLOTH_OK) {
      throw Error(static_cast<Status>(status),
                  std::string("host ") + what + " failed: " + StatusName(status));
    }
  }
  const sloth_host_api* api_ = nullptr;
  sloth_instance_ctx* ctx_ = nullptr;
};

struct InstanceArgs {
  std::string instance_id;
  std::string tenant_id;
  std::string config_json;
  Host host;
};

// An inbound webhook request, as views into the host's buffers (valid during the call).
struct WebhookRequest {
  std::string_view method;
  std::string_view path;
  std::string_view query;
  std::vector<std::pair<std::string_view, std::string_view>> headers;
  std::string_view body;
  std::optional<std::string_view> Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k.size() != name.size()) continue;
      bool eq = true;
      for (std::size_t i = 0; i < k.size() && eq; ++i) eq = (k[i] | 0x20) == (name[i] | 0x20);
      if (eq) return v;
    }
    return std::nullopt;
  }
};

template <typename T>
struct Exports;

// The base of every plugin instance. Constructed by the host's create call; Start, Stop and
// Health are optional.
class Plugin {
 public:
  Plugin() = default;
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;
  virtual ~Plugin() = default;

  virtual void Start() {}
  virtual void Stop() {}
  // JSON: {"status":"ok"|"degraded"|"down", "detail"?}
  virtual std::string Health() { return R"({"status":"ok"})"; }

  const Host& host() const { return host_; }
  const std::string& instance_id() const { return instance_id_; }
  const std::string& tenant_id() const { return tenant_id_; }

 private:
  template <typename T>
  friend struct Exports;
  Host host_;
  std::string instance_id_;
  std::string tenant_id_;
};

[[noreturn]] inline void Unsupported(const char* op) {
  throw Error(Status::kUnsupported, std::string(op) + " is not supported by this plugin");
}

class Channel : public virtual Plugin {
 public:
  // Returns {"response"?:{...}, "events":[...]}; throw Error(kUnauthenticated) when the
  // request cannot be verified.
  virtual std::string Webhook(const WebhookRequest& request) = 0;
  // Returns {"message_id": "..."}.
  virtual std::string Send(std::string_view message_json) = 0;
  virtual std::string Poll(uint32_t /*timeout_ms*/) { Unsupported("poll"); }
  virtual std::string Connect(std::string_view /*request_json*/) { Unsupported("connect"); }
  virtual void Disconnect() { Unsupported("disconnect"); }
};

class Llm : public virtual Plugin {
 public:
  virtual std::string Chat(std::string_view request_json) = 0;
  virtual std::string ChatStream(std::string_view /*request_json*/,
                                 const std::function<void(std::string_view)>& /*on_delta*/) {
    Unsupported("chat_stream");
  }
};

class Embedder : public virtual Plugin {
 public:
  virtual uint32_t Dimension() const = 0;
  // Writes texts.size() * Dimension() floats into `vectors`.
  virtual void Embed(const std::vector<std::string_view>& texts, float* vectors) = 0;
};

class Vision : public virtual Plugin {
 public:
  virtual std::string Analyze(std::string_view image, std::string_view content_type,
                              std::string_view options_json) = 0;
};

class Calendar : public virtual Plugin {
 public:
  virtual std::string FreeBusy(std::string_view request_json) = 0;
  virtual std::string CreateEvent(std::string_view event_json) = 0;
  virtual std::string UpdateEvent(std::string_view event_json) = 0;
  virtual void DeleteEvent(std::string_view calendar_id, std::string_view event_id) = 0;
  // ABI 1.3 (see sloth_calendar_ops); the defaults refuse.
  virtual std::string AuthorizeUrl(std::string_view /*request_json*/) {
    Unsupported("authorize_url");
  }
  virtual std::string ExchangeCode(std::string_view /*request_json*/) {
    Unsupported("exchange_code");
  }
  virtual std::string ListEvents(std::string_view /*request_json*/) { Unsupported("list_events"); }
  virtual void Revoke() { Unsupported("disconnect"); }
};

class Storage : public virtual Plugin {
 public:
  virtual std::string Put(std::string_view key, std::string_view data,
                          std::string_view content_type) = 0;
  virtual std::string Get(std::string_view key) = 0;  // throw Error(kNotFound) when absent
  virtual void Remove(std::string_view key) = 0;
  virtual std::string List(std::string_view prefix, std::string_view cursor, uint32_t limit) = 0;
  // ABI 1.2: streamed writes (see sloth_storage_ops). BeginPut returns {"upload_id"},
  // CommitPut {"key", "size", "etag"?}. The defaults refuse, and the host falls back to Put.
  virtual std::string BeginPut(std::string_view /*key*/, std::string_view /*content_type*/) {
    throw Error(Status::kUnsupported, "this storage plugin does not stream writes");
  }
  virtual void PutPart(std::string_view /*upload_id*/, std::string_view /*data*/) {
    throw Error(Status::kUnsupported, "this storage plugin does not stream writes");
  }
  virtual std::string CommitPut(std::string_view /*upload_id*/) {
    throw Error(Status::kUnsupported, "this storage plugin does not stream writes");
  }
  virtual void AbortPut(std::string_view /*upload_id*/) {
    throw Error(Status::kUnsupported, "this storage plugin does not stream writes");
  }
};

class Payment : public virtual Plugin {
 public:
  virtual std::string CreateCheckout(std::string_view request_json) = 0;
  virtual std::string Webhook(const WebhookRequest& request) = 0;
  // ABI 1.1. The default refuses, so plugins written for 1.0 still compile.
  virtual std::string CancelSubscription(std::string_view /*request_json*/) {
    throw Error(Status::kUnsupported, "this payment plugin cannot cancel subscriptions");
  }
};

namespace detail {

// The call the current thread is serving, so plugin code can notice cancellation.
inline sloth_call*& CurrentCall() {
  thread_local sloth_call* call = nullptr;
  return call;
}

inline void SetError(sloth_call* call, std::string_view message) {
  if (call && HostApi()) HostApi()->set_error(call, ToC(message));
}

inline void Output(sloth_call* call, std::string_view data) {
  if (call && HostApi() && !data.empty()) HostApi()->output(call, data.data(), data.size());
}

// Runs `f`, converting every exception into a status and an error message on `call`.
template <typename F>
int32_t Guard(sloth_call* call, F&& f) noexcept {
  struct Scope {
    sloth_call* saved;
    explicit Scope(sloth_call* c) : saved(CurrentCall()) { CurrentCall() = c; }
    ~Scope() { CurrentCall() = saved; }
  } scope(call);
  try {
    f();
    return SLOTH_OK;
  } catch (const Error& e) {
    SetError(call, e.what());
    if (e.retry_after_ms() && call && HostApi()) {
      HostApi()->set_retry_after(call, e.retry_after_ms());
    }
    return static_cast<int32_t>(e.status());
  } catch (const std::exception& e) {
    SetError(call, e.what());
    return SLOTH_INTERNAL;
  } catch (...) {
    SetError(call, "unknown exception");
    return SLOTH_INTERNAL;
  }
}

inline WebhookRequest ToWebhook(const sloth_webhook_request* r) {
  WebhookRequest w;
  w.method = FromC(r->method);
  w.path = FromC(r->path);
  w.query = FromC(r->query);
  w.body = FromC(r->body);
  for (std::size_t i = 0; i < r->header_count; ++i) {
    w.headers.emplace_back(FromC(r->headers[i].name), FromC(r->headers[i].value));
  }
  return w;
}

}  // namespace detail

// True once the host has given up on the call this thread is serving (it timed out): a
// long operation should check it and stop early. False outside a call.
inline bool CallCancelled() {
  sloth_call* c = detail::CurrentCall();
  return c && detail::HostApi() && detail::HostApi()->cancelled(c) != 0;
}

// Generates the C tables for plugin class T. Used by SLOTH_PLUGIN.
template <typename T>
struct Exports {
  static constexpr uint32_t Kinds() {
    return (std::is_base_of_v<Channel, T> ? static_cast<uint32_t>(SLOTH_KIND_CHANNEL) : 0u) |
           (std::is_base_of_v<Llm, T> ? static_cast<uint32_t>(SLOTH_KIND_LLM) : 0u) |
           (std::is_base_of_v<Embedder, T> ? static_cast<uint32_t>(SLOTH_KIND_EMBEDDER) : 0u) |
           (std::is_base_of_v<Vision, T> ? static_cast<uint32_t>(SLOTH_KIND_VISION) : 0u) |
           (std::is_base_of_v<Calendar, T> ? static_cast<uint32_t>(SLOTH_KIND_CALENDAR) : 0u) |
           (std::is_base_of_v<Storage, T> ? static_cast<uint32_t>(SLOTH_KIND_STORAGE) : 0u) |
           (std::is_base_of_v<Payment, T> ? static_cast<uint32_t>(SLOTH_KIND_PAYMENT) : 0u);
  }
  static_assert(Kinds() != 0, "a plugin derives from at least one kind (sloth::Channel, ...)");
  static_assert(std::is_constructible_v<T, const InstanceArgs&>,
                "a plugin class has a constructor taking const sloth::InstanceArgs&");

  static T* Self(void* instance) { return static_cast<T*>(instance); }

  static int32_t Create(const sloth_instance_args* args, sloth_call* call, void** out) {
    *out = nullptr;
    return detail::Guard(call, [&] {
      InstanceArgs a;
      a.instance_id = std::string(FromC(args->instance_id));
      a.tenant_id = std::string(FromC(args->tenant_id));
      a.config_json = std::string(FromC(args->config_json));
      a.host = Host(detail::HostApi(), args->ctx);
      auto p = std::make_unique<T>(a);
      Plugin& base = *p;
      base.host_ = a.host;
      base.instance_id_ = a.instance_id;
      base.tenant_id_ = a.tenant_id;
      *out = p.release();
    });
  }
  static void Destroy(void* instance) {
    try {
      delete Self(instance);
    } catch (...) {
      // A destructor that throws has nowhere to report; the instance is gone either way.
    }
  }
  static int32_t Start(void* i, sloth_call* c) {
    return detail::Guard(c, [&] { Self(i)->Start(); });
  }
  static int32_t Stop(void* i, sloth_call* c) {
    return detail::Guard(c, [&] { Self(i)->Stop(); });
  }
  static int32_t Health(void* i, sloth_call* c) {
    return detail::Guard(c, [&] { detail::Output(c, Self(i)->Health()); });
  }

  static const sloth_channel_ops* ChannelOps() {
    if constexpr (std::is_base_of_v<Channel, T>) {
      static const sloth_channel_ops ops = {
          sizeof(sloth_channel_ops),
          [](void* i, sloth_call* c, const sloth_webhook_request* r) -> int32_t {
            return detail::Guard(c, [&] {
              detail::Output(c, static_cast<Channel*>(Self(i))->Webhook(detail::ToWebhook(r)));
            });
          },
          [](void* i, sloth_call* c, sloth_str m) -> int32_t {
            return detail::Guard(c, [&] { detail::Output(c, Self(i)->Send(FromC(m))); });
          },
          [](void* i, sloth_call* c, uint32_t t) -> int32_t {
            return detail::Guard(c, [&] { detail::Output(c, Self(i)->Poll(t)); });
          },
          [](void* i, sloth_call* c, sloth_str r) -> int32_t {
            return detail::Guard(c, [&] { detail::Output(c, Self(i)->Connect(FromC(r))); });
          },
          [](void* i, sloth_call* c) -> int32_t {
            return detail::Guard(c, [&] { Self(i)->Disconnect(); });
          },
      };
      return &ops;
    } else {
      return nullptr;
    }
  }

  static const sloth_llm_ops* LlmOps() {
    if constexpr (std::is_base_of_v<Llm, T>) {
      static const sloth_llm_ops ops = {
          sizeof(sloth_llm_ops),
          [](void* i, sloth_call* c, sloth_str r) -> int32_t {
            return detail::Guard(c, [&] { detail::Output(c, Self(i)->Chat(FromC(r))); });
          },
          [](void* i, sloth_call* c, sloth_str r, void (*on_delta)(void*, sloth_str),
             void* ctx) -> int32_t {
            return detail::Guard(c, [&] {
              auto cb = [&](std::string_view d) {
                if (on_delta) on_delta(ctx, ToC(d));
              };
              detail::Output(c, Self(i)->ChatStream(FromC(r), cb));
            });
          },
      };
      return &ops;
    } else {
      return nullptr;
    }
  }

  static const sloth_embedder_ops* EmbedderOps() {
    if constexpr (std::is_base_of_v<Embedder, T>) {
      static const sloth_embedder_ops ops = {
          sizeof(sloth_embedder_ops),
          [](void* i) -> uint32_t {
            try {
              return Self(i)->Dimension();
            } catch (...) {
              return 0;
            }
          },
          [](void* i, sloth_call* c, const sloth_str* texts, std::size_t n,
             float* vectors) -> int32_t {
            return detail::Guard(c, [&] {
              std::vector<std::string_view> v;
              v.reserve(n);
              for (std::size_t k = 0; k < n; ++k) v.push_back(FromC(texts[k]));
              Self(i)->Embed(v, vectors);
            });
          },
      };
      return &ops;
    } else {
      return nullptr;
    }
  }

  static const sloth_vision_ops* VisionOps() {
    if constexpr (std::is_base_of_v<Vision, T>) {
      static const sloth_vision_ops ops = {
          sizeof(sloth_vision_ops),
          [](void* i, sloth_call* c, sloth_bytes img, sloth_str ct, sloth_str o) -> int32_t {
            return detail::Guard(
                c, [&] { detail::Output(c, Self(i)->Analyze(FromC(img), FromC(ct), FromC(o))); });
          },
      };
      return &ops;
    } else {
      return nullptr;
    }
  }

  static const sloth_calendar_ops* CalendarOps() {
    if constexpr (std::is_base_of_v<Calendar, T>) {
      static const sloth_calendar_ops ops = {
          sizeof(sloth_calendar_ops),
          [](void* i, sloth_call* c, sloth_str r) -> int32_t {
            return detail::Guard(c, [&] { detail::Output(c, Self(i)->FreeBusy(FromC(r))); });
          },
          [](void* i, sloth_call* c, sloth_str e) -> int32_t {
            return detail::Guard(c, [&] { detail::Output(c, Self(i)->CreateEvent(FromC(e))); });
          },
          [](void* i, sloth_call* c, sloth_str e) -> int32_t {
            return detail::Guard(c, [&] { detail::Output(c, Self(i)->UpdateEvent(FromC(e))); });
          },
          [](void* i, sloth_call* c, sloth_str cal, sloth_str id) -> int32_t {
            return detail::Guard(c, [&] { Self(i)->DeleteEvent(FromC(cal), FromC(id)); });
          },
          [](void* i, sloth_call* c, sloth_str r) -> int32_t {
            return detail::Guard(c, [&] { detail::Output(c, Self(i)->AuthorizeUrl(FromC(r))); });
          },
          [](void* i, sloth_call* c, sloth_str r) -> int32_t {
            return detail::Guard(c, [&] { detail::Output(c, Self(i)->ExchangeCode(FromC(r))); });
          },
          [](void* i, sloth_call* c, sloth_str r) -> int32_t {
            return detail::Guard(c, [&] { detail::Output(c, Self(i)->ListEvents(FromC(r))); });
          },
          [](void* i, sloth_call* c) -> int32_t {
            return detail::Guard(c, [&] { Self(i)->Revoke(); });
          },
      };
      return &ops;
    } else {
      return nullptr;
    }
  }

  static const sloth_storage_ops* StorageOps() {
    if constexpr (std::is_base_of_v<Storage, T>) {
      static const sloth_storage_ops ops = {
          sizeof(sloth_storage_ops),
          [](void* i, sloth_call* c, sloth_str k, sloth_bytes d, sloth_str ct) -> int32_t {
            return detail::Guard(
                c, [&] { detail::Output(c, Self(i)->Put(FromC(k), FromC(d), FromC(ct))); });
          },
          [](void* i, sloth_call* c, sloth_str k) -> int32_t {
            return detail::Guard(c, [&] { detail::Output(c, Self(i)->Get(FromC(k))); });
          },
          [](void* i, sloth_call* c, sloth_str k) -> int32_t {
            return detail::Guard(c, [&] { Self(i)->Remove(FromC(k)); });
          },
          [](void* i, sloth_call* c, sloth_str p, sloth_str cur, uint32_t lim) -> int32_t {
            return detail::Guard(
                c, [&] { detail::Output(c, Self(i)->List(FromC(p), FromC(cur), lim)); });
          },
          [](void* i, sloth_call* c, sloth_str k, sloth_str ct) -> int32_t {
            return detail::Guard(
                c, [&] { detail::Output(c, Self(i)->BeginPut(FromC(k), FromC(ct))); });
          },
          [](void* i, sloth_call* c, sloth_str u, sloth_bytes d) -> int32_t {
            return detail::Guard(c, [&] { Self(i)->PutPart(FromC(u), FromC(d)); });
          },
          [](void* i, sloth_call* c, sloth_str u) -> int32_t {
            return detail::Guard(c, [&] { detail::Output(c, Self(i)->CommitPut(FromC(u))); });
          },
          [](void* i, sloth_call* c, sloth_str u) -> int32_t {
            return detail::Guard(c, [&] { Self(i)->AbortPut(FromC(u)); });
          },
      };
      return &ops;
    } else {
      return nullptr;
    }
  }

  static const sloth_payment_ops* PaymentOps() {
    if constexpr (std::is_base_of_v<Payment, T>) {
      static const sloth_payment_ops ops = {
          sizeof(sloth_payment_ops),
          [](void* i, sloth_call* c, sloth_str r) -> int32_t {
            return detail::Guard(c, [&] { detail::Output(c, Self(i)->CreateCheckout(FromC(r))); });
          },
          [](void* i, sloth_call* c, const sloth_webhook_request* r) -> int32_t {
            return detail::Guard(c, [&] {
              detail::Output(c, static_cast<Payment*>(Self(i))->Webhook(detail::ToWebhook(r)));
            });
          },
          [](void* i, sloth_call* c, sloth_str r) -> int32_t {
            return detail::Guard(c,
                                 [&] { detail::Output(c, Self(i)->CancelSubscription(FromC(r))); });
          },
      };
      return &ops;
    } else {
      return nullptr;
    }
  }

  static uint32_t Flags() {
    if constexpr (requires { T::kReentrant; }) {
      return T::kReentrant ? SLOTH_PLUGIN_REENTRANT : 0u;
    } else {
      return 0u;
    }
  }

  static int32_t Init(const sloth_host_api* host, const sloth_plugin_api** out) {
    if (!host || !out) return SLOTH_INVALID_ARGUMENT;
    *out = nullptr;
    // The host table must contain every service this header declares.
    if (host->abi_major != SLOTH_ABI_MAJOR || !SLOTH_HAS_FIELD(host, sloth_host_api, cancelled)) {
      return SLOTH_UNSUPPORTED;
    }
    detail::HostApi() = host;
    static const sloth_plugin_api api = {
        sizeof(sloth_plugin_api),
        Flags(),
        &Create,
        &Destroy,
        &Start,
        &Stop,
        &Health,
        ChannelOps(),
        LlmOps(),
        EmbedderOps(),
        VisionOps(),
        CalendarOps(),
        StorageOps(),
        PaymentOps(),
    };
    *out = &api;
    return SLOTH_OK;
  }
};

}  // namespace sloth

// The oldest host ABI minor the plugin needs; sloth_add_plugin(MIN_HOST_MINOR) sets it for
// both the descriptor and plugin.json so the two always agree.
#ifndef SLOTH_PLUGIN_MIN_HOST_MINOR
#define SLOTH_PLUGIN_MIN_HOST_MINOR 0
#endif

// Exports plugin class `Class` as plugin `id` at `version`: the pure descriptor and the
// init entry point, nothing else.
#define SLOTH_PLUGIN(Class, id, version)                                                   \
  SLOTH_EXTERN_C SLOTH_EXPORT const sloth_plugin_info* sloth_plugin_descriptor(void) {     \
    static const sloth_plugin_info info = {sizeof(sloth_plugin_info),                      \
                                           SLOTH_ABI_MAJOR,                                \
                                           SLOTH_ABI_MINOR,                                \
                                           SLOTH_PLUGIN_MIN_HOST_MINOR,                    \
                                           id,                                             \
                                           version,                                        \
                                           ::sloth::Exports<Class>::Kinds()};              \
    return &info;                                                                          \
  }                                                                                        \
  SLOTH_EXTERN_C SLOTH_EXPORT int32_t sloth_plugin_init_v1(const sloth_host_api* host,     \
                                                           const sloth_plugin_api** out) { \
    return ::sloth::Exports<Class>::Init(host, out);                                       \
  }

#endif  // SLOTH_PLUGIN_HPP
