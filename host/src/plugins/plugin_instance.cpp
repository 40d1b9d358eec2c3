#include "plugins/plugin_instance.hpp"

#include <spdlog/spdlog.h>

#include "metrics/metrics.hpp"
#include "plugins/abi_views.hpp"
#include "sloth/plugin.hpp"

namespace sloth::plugins {

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
  if (host_.metrics) {
    host_.metrics->Inc("sloth_plugin_host_calls_refused_total",
                       "host services called by an instance that was not running",
                       {{"plugin", plugin_->manifest.id}, {"service", service}});
  }
  if (!refused_logged_.exchange(true)) {
    spdlog::warn("plugin {}: instance {} called host service '{}' in state {}; refused",
                 plugin_->manifest.id, spec_.instance_id, service, StateName(state_.load()));
  }
}

bool PluginInstance::Dispatch(std::function<void()> task) {
  if (plugin_->reentrant) return host_.executor->Submit(std::move(task));
  return strand_->Post(std::move(task));
}

std::chrono::milliseconds HostContext::TimeoutFor(std::string_view op) const {
  // Each operation of the ABI belongs to one kind's table (sdk/include/sloth/plugin.h).
  static const std::map<std::string_view, std::string_view> kinds = {
      {"webhook", "channel"},
      {"send", "channel"},
      {"poll", "channel"},
      {"connect", "channel"},
      {"disconnect", "channel"},
      {"chat", "llm"},
      {"embed", "embedder"},
      {"analyze", "vision"},
      {"free_busy", "calendar"},
      {"create_event", "calendar"},
      {"update_event", "calendar"},
      {"delete_event", "calendar"},
      {"authorize_url", "calendar"},
      {"exchange_code", "calendar"},
      {"list_events", "calendar"},
      {"calendar_disconnect", "calendar"},
      {"put", "storage"},
      {"get", "storage"},
      {"remove", "storage"},
      {"list", "storage"},
      {"begin_put", "storage"},
      {"put_part", "storage"},
      {"commit_put", "storage"},
      {"abort_put", "storage"},
      {"create_checkout", "payment"},
      {"payment_webhook", "payment"},
      {"cancel_subscription", "payment"}};
  const auto kind = kinds.find(op);
  if (kind == kinds.end()) return call_timeout;
  const auto t = kind_timeouts.find(kind->second);
  return t == kind_timeouts.end() ? call_timeout : t->second;
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
    const auto timeout = host_.TimeoutFor(op);
    if (!st->cv.wait_for(lock, timeout, [&] { return st->done; })) {
      st->call.cancelled = true;
      out = Refused(SLOTH_TIMEOUT, "plugin " + id + " did not answer " + op + " within " +
                                       std::to_string(timeout.count()) + " ms");
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

}  // namespace sloth::plugins
