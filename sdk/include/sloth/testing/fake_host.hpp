// An in-process fake of sloth-host for plugin unit tests. It implements the whole
// sloth_host_api and drives a plugin through the same C tables the real host uses, so a
// test exercises the exported entry points, not the C++ class directly.
//
//   sloth::testing::FakeHost host(sloth_plugin_init_v1);
//   ASSERT_TRUE(host.Create(R"({"token":"t"})").ok());
//   host.Start();
//   auto r = host.Send(R"({"chat_id":"1","text":"hi"})");
//
// Host services record what the plugin did (logs, kv, emitted events, HTTP requests,
// counters); `http_handler` answers the plugin's HTTP calls. Like the real host, services
// are refused once Stop() has returned.
#ifndef SLOTH_TESTING_FAKE_HOST_HPP
#define SLOTH_TESTING_FAKE_HOST_HPP

#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sloth/plugin.hpp"

namespace sloth::testing {

struct CallResult {
  int32_t status = SLOTH_INTERNAL;
  std::string output;
  std::string error;
  uint32_t retry_after_ms = 0;
  bool ok() const { return status == SLOTH_OK; }
};

class FakeHost {
 public:
  explicit FakeHost(sloth_plugin_init_v1_fn init) {
    api_.struct_size = sizeof api_;
    api_.abi_major = SLOTH_ABI_MAJOR;
    api_.abi_minor = SLOTH_ABI_MINOR;
    api_.log_enabled = [](sloth_instance_ctx*, int32_t level) -> int32_t {
      return level >= SLOTH_LOG_DEBUG;
    };
    api_.log = [](sloth_instance_ctx* c, int32_t level, sloth_str m) {
      auto& h = Of(c);
      std::lock_guard<std::mutex> lock(h.mu_);
      h.logs.emplace_back(level, std::string(FromC(m)));
    };
    api_.plugin_config = [](sloth_instance_ctx* c, const sloth_sink* out) -> int32_t {
      auto& h = Of(c);
      std::lock_guard<std::mutex> lock(h.mu_);
      if (h.stopped_) return SLOTH_CANCELLED;
      out->write(out->ctx, h.plugin_config.data(), h.plugin_config.size());
      return SLOTH_OK;
    };
    api_.secret = [](sloth_instance_ctx* c, sloth_str name, const sloth_sink* out) -> int32_t {
      auto& h = Of(c);
      std::lock_guard<std::mutex> lock(h.mu_);
      if (h.stopped_) return SLOTH_CANCELLED;
      auto it = h.secrets.find(std::string(FromC(name)));
      if (it == h.secrets.end()) return SLOTH_NOT_FOUND;
      out->write(out->ctx, it->second.data(), it->second.size());
      return SLOTH_OK;
    };
    api_.kv_get = [](sloth_instance_ctx* c, sloth_str key, const sloth_sink* out) -> int32_t {
      auto& h = Of(c);
      std::lock_guard<std::mutex> lock(h.mu_);
      if (h.stopped_) return SLOTH_CANCELLED;
      auto it = h.kv.find(std::string(FromC(key)));
      if (it == h.kv.end()) return SLOTH_NOT_FOUND;
      out->write(out->ctx, it->second.data(), it->second.size());
      return SLOTH_OK;
    };
    api_.kv_put = [](sloth_instance_ctx* c, sloth_str key, sloth_bytes value) -> int32_t {
      auto& h = Of(c);
      std::lock_guard<std::mutex> lock(h.mu_);
      if (h.stopped_) return SLOTH_CANCELLED;
      if (key.size == 0 || key.size > 256) return SLOTH_INVALID_ARGUMENT;
      h.kv[std::string(FromC(key))] = std::string(FromC(value));
      return SLOTH_OK;
    };
    api_.kv_delete = [](sloth_instance_ctx* c, sloth_str key) -> int32_t {
      auto& h = Of(c);
      std::lock_guard<std::mutex> lock(h.mu_);
      if (h.stopped_) return SLOTH_CANCELLED;
      h.kv.erase(std::string(FromC(key)));
      return SLOTH_OK;
    };
    api_.http = [](sloth_instance_ctx* c, const sloth_http_request* r,
                   const sloth_http_response_sink* sink) -> int32_t {
      auto& h = Of(c);
      HttpRequest req;
      req.method = std::string(FromC(r->method));
      req.url = std::string(FromC(r->url));
      for (std::size_t i = 0; i < r->header_count; ++i) {
        req.headers.emplace_back(FromC(r->headers[i].name), FromC(r->headers[i].value));
      }
      req.body = std::string(FromC(r->body));
      req.timeout_ms = r->timeout_ms;
      req.max_retries = r->max_retries;
      std::function<HttpResponse(const HttpRequest&)> handler;
      {
        std::lock_guard<std::mutex> lock(h.mu_);
        if (h.stopped_) return SLOTH_CANCELLED;
        h.http_requests.push_back(req);
        handler = h.http_handler;
      }
      if (!handler) return SLOTH_UNAVAILABLE;
      HttpResponse resp;
      try {
        resp = handler(req);
      } catch (const Error& e) {
        return static_cast<int32_t>(e.status());
      }
      sink->on_status(sink->ctx, resp.status);
      for (const auto& [k, v] : resp.headers) sink->on_header(sink->ctx, ToC(k), ToC(v));
      if (!resp.body.empty()) {
        sink->on_body(sink->ctx, reinterpret_cast<const uint8_t*>(resp.body.data()),
                      resp.body.size());
      }
      return SLOTH_OK;
    };
    api_.emit = [](sloth_instance_ctx* c, sloth_str events) -> int32_t {
      auto& h = Of(c);
      std::lock_guard<std::mutex> lock(h.mu_);
      if (h.stopped_) return SLOTH_CANCELLED;
      h.emitted.emplace_back(FromC(events));
      return SLOTH_OK;
    };
    api_.post = [](sloth_instance_ctx* c, uint32_t delay, sloth_task_fn fn, void* arg) -> int32_t {
      auto& h = Of(c);
      std::lock_guard<std::mutex> lock(h.mu_);
      if (h.stopped_ || !fn) return SLOTH_CANCELLED;
      h.posted_.push_back(Posted{delay, fn, arg});
      return SLOTH_OK;
    };
    api_.counter_add = [](sloth_instance_ctx* c, sloth_str name, double delta) {
      auto& h = Of(c);
      std::lock_guard<std::mutex> lock(h.mu_);
      if (!h.stopped_) h.counters[std::string(FromC(name))] += delta;
    };
    api_.output = [](sloth_call* call, const char* data, std::size_t size) {
      reinterpret_cast<CallResult*>(call)->output.append(data, size);
    };
    api_.set_error = [](sloth_call* call, sloth_str m) {
      reinterpret_cast<CallResult*>(call)->error = std::string(FromC(m));
    };
    api_.set_retry_after = [](sloth_call* call, uint32_t ms) {
      reinterpret_cast<CallResult*>(call)->retry_after_ms = ms;
    };
    api_.cancelled = [](sloth_call*) -> int32_t { return 0; };

    const int32_t s = init(&api_, &plugin_);
    if (s != SLOTH_OK || !plugin_) {
      throw std::runtime_error(std::string("plugin init failed: ") + StatusName(s));
    }
  }

  ~FakeHost() {
    if (instance_) {
      if (!stopped_) Stop();
      Destroy();
    }
  }

  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  const sloth_plugin_api& plugin() const { return *plugin_; }

  CallResult Create(const std::string& config_json, const std::string& tenant_id = "1",
                    const std::string& instance_id = "test-instance") {
    if (instance_) throw std::logic_error("FakeHost holds one instance at a time");
    sloth_instance_args args{};
    args.struct_size = sizeof args;
    args.instance_id = ToC(instance_id);
    args.tenant_id = ToC(tenant_id);
    args.config_json = ToC(config_json);
    args.ctx = Ctx();
    stopped_ = false;
    CallResult r;
    void* instance = nullptr;
    r.status = plugin_->create(&args, Call(r), &instance);
    if (r.ok()) instance_ = instance;
    return r;
  }
  CallResult Start() {
    return Invoke([&](sloth_call* c) { return plugin_->start(instance_, c); });
  }
  CallResult Stop() {
    // Cancelled tasks still run (with cancelled = true) before stop, as in the real host.
    RunPosted(/*cancel=*/true);
    auto r = Invoke([&](sloth_call* c) { return plugin_->stop(instance_, c); });
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    return r;
  }
  CallResult Health() {
    return Invoke([&](sloth_call* c) { return plugin_->health(instance_, c); });
  }
  void Destroy() {
    if (instance_) plugin_->destroy(instance_);
    instance_ = nullptr;
  }

  CallResult Webhook(const std::string& method, const std::string& body,
                     const std::vector<std::pair<std::string, std::string>>& headers = {},
                     const std::string& query = "", const std::string& path = "") {
    return WebhookVia(plugin_->channel ? plugin_->channel->webhook : nullptr, method, body, headers,
                      query, path);
  }
  CallResult Send(const std::string& message_json) {
    return Op(plugin_->channel, [&](sloth_call* c) {
      return plugin_->channel->send(instance_, c, ToC(message_json));
    });
  }
  CallResult Poll(uint32_t timeout_ms) {
    return Op(plugin_->channel,
              [&](sloth_call* c) { return plugin_->channel->poll(instance_, c, timeout_ms); });
  }
  CallResult Connect(const std::string& request_json) {
    return Op(plugin_->channel, [&](sloth_call* c) {
      return plugin_->channel->connect(instance_, c, ToC(request_json));
    });
  }
  CallResult Disconnect() {
    return Op(plugin_->channel,
              [&](sloth_call* c) { return plugin_->channel->disconnect(instance_, c); });
  }
  CallResult Chat(const std::string& request_json) {
    return Op(plugin_->llm,
              [&](sloth_call* c) { return plugin_->llm->chat(instance_, c, ToC(request_json)); });
  }
  CallResult Embed(const std::vector<std::string>& texts, std::vector<float>& vectors) {
    return Op(plugin_->embedder, [&](sloth_call* c) {
      const uint32_t dim = plugin_->embedder->dimension(instance_);
      vectors.assign(texts.size() * dim, 0.0f);
      std::vector<sloth_str> views;
      for (const auto& t : texts) views.push_back(ToC(t));
      return plugin_->embedder->embed(instance_, c, views.data(), views.size(), vectors.data());
    });
  }
  CallResult Analyze(const std::string& image, const std::string& content_type,
                     const std::string& options_json = "{}") {
    return Op(plugin_->vision, [&](sloth_call* c) {
      return plugin_->vision->analyze(instance_, c, BytesToC(image), ToC(content_type),
                                      ToC(options_json));
    });
  }
  CallResult CreateCheckout(const std::string& request_json) {
    return Op(plugin_->payment, [&](sloth_call* c) {
      return plugin_->payment->create_checkout(instance_, c, ToC(request_json));
    });
  }
  CallResult PaymentWebhook(const std::string& body,
                            const std::vector<std::pair<std::string, std::string>>& headers) {
    return WebhookVia(plugin_->payment ? plugin_->payment->webhook : nullptr, "POST", body, headers,
                      "", "");
  }

  // Runs the tasks the plugin posted (all of them, ignoring delays); returns how many ran.
  std::size_t RunPosted(bool cancel = false) {
    std::vector<Posted> tasks;
    {
      std::lock_guard<std::mutex> lock(mu_);
      tasks.swap(posted_);
    }
    for (const auto& t : tasks) t.fn(instance_, t.arg, cancel ? SLOTH_CANCELLED : SLOTH_OK);
    return tasks.size();
  }

  // What the plugin did through the host. Read them after the calls under test.
  std::vector<std::pair<int32_t, std::string>> logs;
  std::map<std::string, std::string> kv;
  std::vector<std::string> emitted;
  std::vector<HttpRequest> http_requests;
  std::map<std::string, double> counters;

  // What the host offers the plugin. Set them before the calls under test.
  std::function<HttpResponse(const HttpRequest&)> http_handler;
  std::string plugin_config = "{}";
  std::map<std::string, std::string> secrets;

 private:
  struct Posted {
    uint32_t delay_ms;
    sloth_task_fn fn;
    void* arg;
  };

  static FakeHost& Of(sloth_instance_ctx* c) { return *reinterpret_cast<FakeHost*>(c); }
  sloth_instance_ctx* Ctx() { return reinterpret_cast<sloth_instance_ctx*>(this); }
  static sloth_call* Call(CallResult& r) { return reinterpret_cast<sloth_call*>(&r); }

  template <typename F>
  CallResult Invoke(F&& f) {
    CallResult r;
    if (!instance_) {
      r.error = "no instance (create failed or was not called)";
      return r;
    }
    r.status = f(Call(r));
    return r;
  }
  template <typename Table, typename F>
  CallResult Op(const Table* table, F&& f) {
    if (!table) {
      CallResult r;
      r.status = SLOTH_UNSUPPORTED;
      r.error = "the plugin does not provide this kind";
      return r;
    }
    return Invoke(std::forward<F>(f));
  }
  using WebhookFn = int32_t (*)(void*, sloth_call*, const sloth_webhook_request*);
  CallResult WebhookVia(WebhookFn fn, const std::string& method, const std::string& body,
                        const std::vector<std::pair<std::string, std::string>>& headers,
                        const std::string& query, const std::string& path) {
    if (!fn) {
      CallResult r;
      r.status = SLOTH_UNSUPPORTED;
      return r;
    }
    std::vector<sloth_header> hs;
    for (const auto& [k, v] : headers) hs.push_back(sloth_header{ToC(k), ToC(v)});
    sloth_webhook_request req{};
    req.struct_size = sizeof req;
    req.method = ToC(method);
    req.path = ToC(path);
    req.query = ToC(query);
    req.headers = hs.data();
    req.header_count = hs.size();
    req.body = BytesToC(body);
    return Invoke([&](sloth_call* c) { return fn(instance_, c, &req); });
  }

  sloth_host_api api_{};
  const sloth_plugin_api* plugin_ = nullptr;
  void* instance_ = nullptr;
  bool stopped_ = false;
  std::mutex mu_;
  std::vector<Posted> posted_;
};

}  // namespace sloth::testing

#endif  // SLOTH_TESTING_FAKE_HOST_HPP
