#include "plugins/plugin_instance.hpp"

#include <spdlog/spdlog.h>

#include "metrics/metrics.hpp"
#include "sloth/plugin.hpp"

namespace sloth::plugins {
namespace {

sloth_str View(const std::string& s) {
  return sloth_str{s.data(), s.size()};
}
sloth_bytes Bytes(const std::string& s) {
  return sloth_bytes{reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// The wrapper's names ("invalid_argument", ...) are the ones plugin authors see too.
const char* StatusText(std::int32_t s) {
  return sloth::StatusName(s);
}

CallOutcome Refused(std::int32_t status, const std::string& why) {
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

}  // namespace

const char* StateName(PluginInstance::State s) {
  switch (s) {
    case PluginInstance::State::kCreating:
      return "creating";
    case PluginInstance::State::kCreated:
      return "created";
    case PluginInstance::State::kStarted:
      return "started";
    case PluginInstance::State::kStopping:
      return "stopping";
    case PluginInstance::State::kStopped:
      return "stopped";
    case PluginInstance::State::kFailed:
      return "failed";
  }
  return "?";
}

PluginInstance::PluginInstance(std::shared_ptr<const LoadedPlugin> plugin, InstanceSpec spec,
                               HostContext& host)
    : plugin_(std::move(plugin)),
      spec_(std::move(spec)),
      config_text_(spec_.config.dump()),
      host_(host),
      strand_(std::make_shared<Strand>(*host.executor)) {
  ctx_.instance = this;
}

std::shared_ptr<PluginInstance> PluginInstance::Create(std::shared_ptr<const LoadedPlugin> plugin,
                                                       InstanceSpec spec, HostContext& host) {
  std::shared_ptr<PluginInstance> self(
      new PluginInstance(std::move(plugin), std::move(spec), host));
  const std::string tenant = self->spec_.tenant_id ? std::to_string(*self->spec_.tenant_id) : "";
  PluginInstance* raw = self.get();
  auto out = self->Invoke("create", Output::kNone, [raw, tenant](void*, sloth_call* call) {
    sloth_instance_args args{};
    args.struct_size = sizeof args;
    args.instance_id = View(raw->spec_.instance_id);
    args.tenant_id = View(tenant);
    args.config_json = View(raw->config_text_);
    args.ctx = &raw->ctx_;
    void* handle = nullptr;
    const std::int32_t s = raw->plugin_->api->create(&args, call, &handle);
    if (s != SLOTH_OK) return s;
    if (handle == nullptr) {
      call->error = "create returned OK without an instance";
      return static_cast<std::int32_t>(SLOTH_INTERNAL);
    }
    raw->handle_ = handle;
    // If the caller already gave up, ~PluginInstance destroys the late instance.
    return call->cancelled ? static_cast<std::int32_t>(SLOTH_CANCELLED) : s;
  });
  if (!out.ok()) {
    self->state_ = State::kFailed;
    throw PluginError(out.status, "plugin " + self->plugin_->manifest.id + ": create failed (" +
                                      StatusText(out.status) + "): " + out.error);
  }
  self->state_ = State::kCreated;
  return self;
}

PluginInstance::~PluginInstance() {
  // Every task holds a reference, so no call is in flight: calling in directly is safe.
  const auto* api = plugin_->api;
  std::map<std::uint64_t, Pending> pending;
  {
    std::lock_guard<std::mutex> lock(posts_mu_);
    pending.swap(pending_);
  }
  try {
    for (auto& [id, p] : pending) p.fn(handle_, p.arg, SLOTH_CANCELLED);
    if (handle_ && state_ == State::kStarted) {
      spdlog::warn("plugin {}: instance {} destroyed without stop; stopping it now",
                   plugin_->manifest.id, spec_.instance_id);
      sloth_call call;
      api->stop(handle_, &call);
    }
    state_ = State::kStopped;
    if (handle_) api->destroy(handle_);
  } catch (...) {
    spdlog::error("plugin {}: an exception crossed the ABI while destroying instance {}",
                  plugin_->manifest.id, spec_.instance_id);
  }
}

bool PluginInstance::AcceptsHostCalls() const {
  const auto s = state_.load();
  return s == State::kCreating || s == State::kCreated || s == State::kStarted ||
         s == State::kStopping;
}

void PluginInstance::NoteRefusedHostCall(const char* service) {
  if (!refused_logged_.exchange(true)) {
    spdlog::warn("plugin {}: instance {} called host service '{}' in state {}; refused",
                 plugin_->manifest.id, spec_.instance_id, service, StateName(state_.load()));
  }
}

bool PluginInstance::Dispatch(std::function<void()> task) {
  if (plugin_->reentrant) return host_.executor->Submit(std::move(task));
  return strand_->Post(std::move(task));
}

CallOutcome PluginInstance::Invoke(const char* op, Output output,
                                   std::function<std::int32_t(void*, sloth_call*)> fn) {
  struct Shared {
    sloth_call call;
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    std::int32_t status = SLOTH_INTERNAL;
  };
  auto st = std::make_shared<Shared>();
  auto self = shared_from_this();
  const auto start = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(flight_mu_);
    ++in_flight_;
  }
  const bool queued = Dispatch([self, st, fn = std::move(fn)] {
    std::int32_t s = SLOTH_CANCELLED;
    if (!st->call.cancelled) {
      try {
        s = fn(self->handle_, &st->call);
      } catch (const std::exception& e) {
        s = SLOTH_INTERNAL;
        st->call.error = std::string("an exception crossed the plugin ABI: ") + e.what();
      } catch (...) {
        s = SLOTH_INTERNAL;
        st->call.error = "an exception crossed the plugin ABI";
      }
    }
    {
      std::lock_guard<std::mutex> lock(st->mu);
      st->status = s;
      st->done = true;
    }
    st->cv.notify_all();
    {
      std::lock_guard<std::mutex> lock(self->flight_mu_);
      --self->in_flight_;
    }
    self->flight_cv_.notify_all();
  });
  const auto& id = plugin_->manifest.id;
  if (!queued) {
    std::lock_guard<std::mutex> lock(flight_mu_);
    --in_flight_;
    return Refused(SLOTH_UNAVAILABLE, "the host is shutting down");
  }

  CallOutcome out;
  {
    std::unique_lock<std::mutex> lock(st->mu);
    if (!st->cv.wait_for(lock, host_.call_timeout, [&] { return st->done; })) {
      st->call.cancelled = true;
      out = Refused(SLOTH_TIMEOUT, "plugin " + id + " did not answer " + op + " within " +
                                       std::to_string(host_.call_timeout.count()) + " ms");
      spdlog::warn("{} (instance {})", out.error, spec_.instance_id);
    } else {
      out.status = st->status;
      out.output = std::move(st->call.output);
      out.error = std::move(st->call.error);
      out.retry_after_ms = st->call.retry_after_ms;
    }
  }
  if (out.status < SLOTH_OK || out.status > SLOTH_INTERNAL) {
    out.error = "plugin returned unknown status " + std::to_string(out.status) +
                (out.error.empty() ? "" : ": " + out.error);
    out.status = SLOTH_INTERNAL;
  }
  if (out.ok() && output == Output::kJson &&
      nlohmann::json::parse(out.output, nullptr, false).is_discarded()) {
    out.status = SLOTH_INTERNAL;
    out.error = "plugin " + id + " returned malformed JSON from " + op;
    out.output.clear();
    spdlog::warn("{} (instance {})", out.error, spec_.instance_id);
  }
  if (!out.ok() && out.error.empty()) out.error = StatusText(out.status);
  if (host_.metrics) {
    host_.metrics->Inc("sloth_plugin_calls_total",
                       "calls into plugins by plugin, operation, status",
                       {{"plugin", id}, {"op", op}, {"status", StatusText(out.status)}});
    host_.metrics->Observe(
        "sloth_plugin_call_duration_seconds", "latency of calls into plugins",
        {{"plugin", id}, {"op", op}},
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return out;
}

CallOutcome PluginInstance::Start() {
  auto expected = State::kCreated;
  if (!state_.compare_exchange_strong(expected, State::kStarted)) {
    return Refused(SLOTH_INVALID_ARGUMENT,
                   std::string("cannot start an instance in state ") + StateName(expected));
  }
  auto out = Invoke("start", Output::kNone,
                    [api = plugin_->api](void* h, sloth_call* c) { return api->start(h, c); });
  if (!out.ok()) state_ = State::kCreated;
  return out;
}

CallOutcome PluginInstance::Stop() {
  auto expected = State::kStarted;
  if (!state_.compare_exchange_strong(expected, State::kStopping)) {
    expected = State::kCreated;
    if (!state_.compare_exchange_strong(expected, State::kStopping)) {
      return Refused(SLOTH_INVALID_ARGUMENT,
                     std::string("cannot stop an instance in state ") + StateName(expected));
    }
  }
  if (plugin_->reentrant) {
    std::unique_lock<std::mutex> lock(flight_mu_);
    flight_cv_.wait_for(lock, host_.call_timeout, [&] { return in_flight_ == 0; });
  }
  // Cancelled posts run on the strand before stop, so each is called exactly once and
  // nothing the plugin posted reaches it after stop returns.
  auto self = shared_from_this();
  strand_->Post([self] {
    std::map<std::uint64_t, Pending> pending;
    {
      std::lock_guard<std::mutex> lock(self->posts_mu_);
      pending.swap(self->pending_);
    }
    for (auto& [id, p] : pending) {
      try {
        p.fn(self->handle_, p.arg, SLOTH_CANCELLED);
      } catch (...) {
        spdlog::error("plugin {}: a posted task threw across the ABI", self->plugin_->manifest.id);
      }
    }
  });
  auto out = Invoke("stop", Output::kNone,
                    [api = plugin_->api](void* h, sloth_call* c) { return api->stop(h, c); });
  state_ = State::kStopped;
  return out;
}

CallOutcome PluginInstance::Health() {
  if (state_ != State::kStarted) {
    return Refused(SLOTH_UNAVAILABLE, std::string("instance is ") + StateName(state_.load()));
  }
  return Invoke("health", Output::kJson,
                [api = plugin_->api](void* h, sloth_call* c) { return api->health(h, c); });
}

bool PluginInstance::PostTask(std::uint32_t delay_ms, sloth_task_fn fn, void* arg) {
  const auto s = state_.load();
  if (!fn || (s != State::kCreated && s != State::kStarted)) return false;
  std::uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(posts_mu_);
    id = next_post_++;
    pending_[id] = Pending{fn, arg};
  }
  std::weak_ptr<PluginInstance> weak = weak_from_this();
  const bool ok = host_.executor->Schedule(std::chrono::milliseconds(delay_ms), [weak, id] {
    if (auto self = weak.lock()) self->RunPending(id);
  });
  if (!ok) {
    std::lock_guard<std::mutex> lock(posts_mu_);
    pending_.erase(id);
  }
  return ok;
}

void PluginInstance::RunPending(std::uint64_t id) {
  auto self = shared_from_this();
  strand_->Post([self, id] {
    Pending p{};
    {
      std::lock_guard<std::mutex> lock(self->posts_mu_);
      auto it = self->pending_.find(id);
      if (it == self->pending_.end()) return;  // cancelled by stop, already called
      p = it->second;
      self->pending_.erase(it);
    }
    try {
      p.fn(self->handle_, p.arg, SLOTH_OK);
    } catch (...) {
      spdlog::error("plugin {}: a posted task threw across the ABI", self->plugin_->manifest.id);
    }
  });
}

#define SLOTH_REQUIRE_KIND(table)                                                              \
  if (state_ != State::kStarted) {                                                             \
    return Refused(SLOTH_UNAVAILABLE, std::string("instance is ") + StateName(state_.load())); \
  }                                                                                            \
  if (!plugin_->api->table) {                                                                  \
    return Refused(SLOTH_UNSUPPORTED, "plugin " + plugin_->manifest.id + " is not a " #table); \
  }

CallOutcome PluginInstance::ChannelWebhook(const Webhook& request) {
  SLOTH_REQUIRE_KIND(channel);
  return Invoke("webhook", Output::kJson, [api = plugin_->api, request](void* h, sloth_call* c) {
    WebhookViews v(request);
    return api->channel->webhook(h, c, &v.req);
  });
}

CallOutcome PluginInstance::Send(const std::string& message_json) {
  SLOTH_REQUIRE_KIND(channel);
  return Invoke("send", Output::kJson, [api = plugin_->api, message_json](void* h, sloth_call* c) {
    return api->channel->send(h, c, View(message_json));
  });
}

CallOutcome PluginInstance::Poll(std::uint32_t timeout_ms) {
  SLOTH_REQUIRE_KIND(channel);
  if (!plugin_->api->channel->poll) return Refused(SLOTH_UNSUPPORTED, "poll is not provided");
  return Invoke("poll", Output::kJson, [api = plugin_->api, timeout_ms](void* h, sloth_call* c) {
    return api->channel->poll(h, c, timeout_ms);
  });
}

CallOutcome PluginInstance::Connect(const std::string& request_json) {
  SLOTH_REQUIRE_KIND(channel);
  if (!plugin_->api->channel->connect) return Refused(SLOTH_UNSUPPORTED, "connect is not provided");
  return Invoke("connect", Output::kJson,
                [api = plugin_->api, request_json](void* h, sloth_call* c) {
                  return api->channel->connect(h, c, View(request_json));
                });
}

CallOutcome PluginInstance::Disconnect() {
  SLOTH_REQUIRE_KIND(channel);
  if (!plugin_->api->channel->disconnect) {
    return Refused(SLOTH_UNSUPPORTED, "disconnect is not provided");
  }
  return Invoke("disconnect", Output::kNone, [api = plugin_->api](void* h, sloth_call* c) {
    return api->channel->disconnect(h, c);
  });
}

CallOutcome PluginInstance::Chat(const std::string& request_json) {
  SLOTH_REQUIRE_KIND(llm);
  return Invoke("chat", Output::kJson, [api = plugin_->api, request_json](void* h, sloth_call* c) {
    return api->llm->chat(h, c, View(request_json));
  });
}

CallOutcome PluginInstance::Embed(const std::vector<std::string>& texts,
                                  std::vector<float>& vectors, std::uint32_t& dimension) {
  SLOTH_REQUIRE_KIND(embedder);
  auto result = std::make_shared<std::pair<std::uint32_t, std::vector<float>>>();
  auto out = Invoke("embed", Output::kNone,
                    [api = plugin_->api, texts, result](void* h, sloth_call* c) -> std::int32_t {
                      const std::uint32_t dim = api->embedder->dimension(h);
                      if (dim == 0 || dim > 65536) {
                        c->error = "embedder reported dimension " + std::to_string(dim);
                        return SLOTH_INTERNAL;
                      }
                      std::vector<sloth_str> views;
                      views.reserve(texts.size());
                      for (const auto& t : texts) views.push_back(View(t));
                      std::vector<float> v(texts.size() * dim);
                      const auto s =
                          api->embedder->embed(h, c, views.data(), views.size(), v.data());
                      if (s == SLOTH_OK) *result = {dim, std::move(v)};
                      return s;
                    });
  if (out.ok()) {
    dimension = result->first;
    vectors = std::move(result->second);
  }
  return out;
}

CallOutcome PluginInstance::Analyze(const std::string& image, const std::string& content_type,
                                    const std::string& options_json) {
  SLOTH_REQUIRE_KIND(vision);
  return Invoke("analyze", Output::kJson,
                [api = plugin_->api, image, content_type, options_json](void* h, sloth_call* c) {
                  return api->vision->analyze(h, c, Bytes(image), View(content_type),
                                              View(options_json));
                });
}

CallOutcome PluginInstance::FreeBusy(const std::string& request_json) {
  SLOTH_REQUIRE_KIND(calendar);
  return Invoke("free_busy", Output::kJson,
                [api = plugin_->api, request_json](void* h, sloth_call* c) {
                  return api->calendar->free_busy(h, c, View(request_json));
                });
}

CallOutcome PluginInstance::CreateEvent(const std::string& event_json) {
  SLOTH_REQUIRE_KIND(calendar);
  return Invoke("create_event", Output::kJson,
                [api = plugin_->api, event_json](void* h, sloth_call* c) {
                  return api->calendar->create_event(h, c, View(event_json));
                });
}

CallOutcome PluginInstance::UpdateEvent(const std::string& event_json) {
  SLOTH_REQUIRE_KIND(calendar);
  return Invoke("update_event", Output::kJson,
                [api = plugin_->api, event_json](void* h, sloth_call* c) {
                  return api->calendar->update_event(h, c, View(event_json));
                });
}

CallOutcome PluginInstance::DeleteEvent(const std::string& calendar_id,
                                        const std::string& event_id) {
  SLOTH_REQUIRE_KIND(calendar);
  return Invoke("delete_event", Output::kNone,
                [api = plugin_->api, calendar_id, event_id](void* h, sloth_call* c) {
                  return api->calendar->delete_event(h, c, View(calendar_id), View(event_id));
                });
}

CallOutcome PluginInstance::Put(const std::string& key, const std::string& data,
                                const std::string& content_type) {
  SLOTH_REQUIRE_KIND(storage);
  return Invoke("put", Output::kJson,
                [api = plugin_->api, key, data, content_type](void* h, sloth_call* c) {
                  return api->storage->put(h, c, View(key), Bytes(data), View(content_type));
                });
}

CallOutcome PluginInstance::Get(const std::string& key) {
  SLOTH_REQUIRE_KIND(storage);
  return Invoke("get", Output::kBytes, [api = plugin_->api, key](void* h, sloth_call* c) {
    return api->storage->get(h, c, View(key));
  });
}

CallOutcome PluginInstance::Remove(const std::string& key) {
  SLOTH_REQUIRE_KIND(storage);
  return Invoke("remove", Output::kNone, [api = plugin_->api, key](void* h, sloth_call* c) {
    return api->storage->remove(h, c, View(key));
  });
}

CallOutcome PluginInstance::List(const std::string& prefix, const std::string& cursor,
                                 std::uint32_t limit) {
  SLOTH_REQUIRE_KIND(storage);
  return Invoke("list", Output::kJson,
                [api = plugin_->api, prefix, cursor, limit](void* h, sloth_call* c) {
                  return api->storage->list(h, c, View(prefix), View(cursor), limit);
                });
}

CallOutcome PluginInstance::BeginPut(const std::string& key, const std::string& content_type) {
  SLOTH_REQUIRE_KIND(storage);
  if (!SLOTH_HAS_FIELD(plugin_->api->storage, sloth_storage_ops, abort_put) ||
      !plugin_->api->storage->begin_put || !plugin_->api->storage->put_part ||
      !plugin_->api->storage->commit_put || !plugin_->api->storage->abort_put) {
    return Refused(SLOTH_UNSUPPORTED, "plugin " + plugin_->manifest.id +
                                          " was built before ABI 1.2 and does not stream writes");
  }
  return Invoke("begin_put", Output::kJson,
                [api = plugin_->api, key, content_type](void* h, sloth_call* c) {
                  return api->storage->begin_put(h, c, View(key), View(content_type));
                });
}

// Only called after BeginPut succeeded, so the table has the 1.2 fields.
CallOutcome PluginInstance::PutPart(const std::string& upload_id, std::string data) {
  SLOTH_REQUIRE_KIND(storage);
  return Invoke("put_part", Output::kNone,
                [api = plugin_->api, upload_id, data = std::move(data)](void* h, sloth_call* c) {
                  return api->storage->put_part(h, c, View(upload_id), Bytes(data));
                });
}

CallOutcome PluginInstance::CommitPut(const std::string& upload_id) {
  SLOTH_REQUIRE_KIND(storage);
  return Invoke("commit_put", Output::kJson,
                [api = plugin_->api, upload_id](void* h, sloth_call* c) {
                  return api->storage->commit_put(h, c, View(upload_id));
                });
}

CallOutcome PluginInstance::AbortPut(const std::string& upload_id) {
  SLOTH_REQUIRE_KIND(storage);
  return Invoke("abort_put", Output::kNone,
                [api = plugin_->api, upload_id](void* h, sloth_call* c) {
                  return api->storage->abort_put(h, c, View(upload_id));
                });
}

CallOutcome PluginInstance::CreateCheckout(const std::string& request_json) {
  SLOTH_REQUIRE_KIND(payment);
  return Invoke("create_checkout", Output::kJson,
                [api = plugin_->api, request_json](void* h, sloth_call* c) {
                  return api->payment->create_checkout(h, c, View(request_json));
                });
}

CallOutcome PluginInstance::PaymentWebhook(const Webhook& request) {
  SLOTH_REQUIRE_KIND(payment);
  return Invoke("payment_webhook", Output::kJson,
                [api = plugin_->api, request](void* h, sloth_call* c) {
                  WebhookViews v(request);
                  return api->payment->webhook(h, c, &v.req);
                });
}

CallOutcome PluginInstance::CancelSubscription(const std::string& request_json) {
  SLOTH_REQUIRE_KIND(payment);
  if (!SLOTH_HAS_FIELD(plugin_->api->payment, sloth_payment_ops, cancel_subscription) ||
      !plugin_->api->payment->cancel_subscription) {
    return Refused(SLOTH_UNSUPPORTED, "plugin " + plugin_->manifest.id +
                                          " was built for ABI 1.0 and cannot cancel subscriptions");
  }
  return Invoke("cancel_subscription", Output::kJson,
                [api = plugin_->api, request_json](void* h, sloth_call* c) {
                  return api->payment->cancel_subscription(h, c, View(request_json));
                });
}

#undef SLOTH_REQUIRE_KIND

}  // namespace sloth::plugins
