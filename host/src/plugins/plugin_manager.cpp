#include "plugins/plugin_manager.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <thread>

#include <spdlog/spdlog.h>

#include "plugins/host_services.hpp"
#include "plugins/json_schema.hpp"

namespace sloth::plugins {
namespace {

// The smallest tables a 1.0 plugin may return: every 1.0 member present.
constexpr std::size_t kMinApi = offsetof(sloth_plugin_api, payment) + sizeof(void*);
constexpr std::size_t kMinInfo = offsetof(sloth_plugin_info, kinds) + sizeof(std::uint32_t);

std::string CheckOps(const sloth_plugin_api* api, std::uint32_t kinds) {
  if (api->struct_size < kMinApi)
    return "plugin table too small (struct_size " + std::to_string(api->struct_size) + ")";
  if (!api->create || !api->destroy || !api->start || !api->stop || !api->health) {
    return "plugin table lacks create/destroy/start/stop/health";
  }
  auto need = [&](std::uint32_t bit, const void* table, bool complete,
                  const char* name) -> std::string {
    if (!(kinds & bit)) return "";
    if (!table) return std::string("declares kind ") + name + " but has no " + name + " table";
    if (!complete) return std::string(name) + " table is incomplete";
    return "";
  };
  const auto* c = api->channel;
  const auto* l = api->llm;
  const auto* e = api->embedder;
  const auto* v = api->vision;
  const auto* k = api->calendar;
  const auto* s = api->storage;
  const auto* p = api->payment;
  for (const auto& err : {
           need(SLOTH_KIND_CHANNEL, c,
                c && c->struct_size >= sizeof(sloth_channel_ops) && c->webhook && c->send,
                "channel"),
           need(SLOTH_KIND_LLM, l,
                l && l->struct_size >= offsetof(sloth_llm_ops, chat_stream) && l->chat, "llm"),
           need(SLOTH_KIND_EMBEDDER, e,
                e && e->struct_size >= sizeof(sloth_embedder_ops) && e->dimension && e->embed,
                "embedder"),
           need(SLOTH_KIND_VISION, v, v && v->struct_size >= sizeof(sloth_vision_ops) && v->analyze,
                "vision"),
           need(SLOTH_KIND_CALENDAR, k,
                k && k->struct_size >= sizeof(sloth_calendar_ops) && k->free_busy &&
                    k->create_event && k->update_event && k->delete_event,
                "calendar"),
           need(SLOTH_KIND_STORAGE, s,
                // 1.0 and 1.1 tables end before begin_put
                s && s->struct_size >= offsetof(sloth_storage_ops, begin_put) && s->put && s->get &&
                    s->remove && s->list,
                "storage"),
           need(SLOTH_KIND_PAYMENT, p,
                // 1.0 tables end before cancel_subscription
                p && p->struct_size >= offsetof(sloth_payment_ops, cancel_subscription) &&
                    p->create_checkout && p->webhook,
                "payment"),
       }) {
    if (!err.empty()) return err;
  }
  return "";
}

}  // namespace

PluginManager::PluginManager(ManagerOptions options, HostContext context)
    : options_(std::move(options)),
      context_(std::move(context)),
      tenant_calls_(options_.max_calls_per_tenant) {
  executor_ = std::make_unique<Executor>(options_.max_threads);
  context_.executor = executor_.get();
  context_.call_timeout = options_.call_timeout;
  context_.kind_timeouts = options_.kind_timeouts;
}

PluginManager::~PluginManager() {
  Shutdown();
}

void PluginManager::Shutdown() {
  if (executor_) executor_->Shutdown();
}

LoadReport PluginManager::LoadAll() {
  LoadReport report;
  namespace fs = std::filesystem;
  std::vector<std::string> manifests;
  for (const auto& dir : options_.dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      spdlog::warn("plugins: directory {} does not exist; skipped", dir);
      continue;
    }
    if (fs::exists(fs::path(dir) / "plugin.json"))
      manifests.push_back((fs::path(dir) / "plugin.json").string());
    std::vector<std::string> children;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const auto m = entry.path() / "plugin.json";
      if (entry.is_directory() && fs::exists(m)) children.push_back(m.string());
    }
    std::sort(children.begin(), children.end());  // deterministic: the first of a duplicate id wins
    manifests.insert(manifests.end(), children.begin(), children.end());
  }
  for (const auto& m : manifests) {
    std::string id;
    const std::string reason = Load(m, &id);
    if (reason.empty()) {
      report.loaded.push_back(id);
    } else {
      report.refused.emplace_back(m, reason);
    }
  }
  spdlog::info("plugins: {} loaded, {} refused", report.loaded.size(), report.refused.size());
  return report;
}

std::string PluginManager::Load(const std::string& manifest_path, std::string* loaded_id) {
  auto refuse = [&](const std::string& why) {
    spdlog::error("plugins: refused {}: {}", manifest_path, why);
    return why;
  };
  Manifest m;
  try {
    m = ReadManifest(manifest_path);
  } catch (const ManifestError& e) {
    return refuse(std::string("invalid manifest: ") + e.what());
  }
  // Compatibility is decided from the manifest, before any of the plugin's code runs.
  if (m.abi_major != SLOTH_ABI_MAJOR) {
    return refuse("plugin " + m.id + " was built for ABI major " + std::to_string(m.abi_major) +
                  "; this host speaks ABI " + std::to_string(SLOTH_ABI_MAJOR) + "." +
                  std::to_string(SLOTH_ABI_MINOR));
  }
  if (m.min_host_minor > SLOTH_ABI_MINOR) {
    return refuse("plugin " + m.id + " needs host ABI " + std::to_string(SLOTH_ABI_MAJOR) + "." +
                  std::to_string(m.min_host_minor) + " or newer; this host is " +
                  std::to_string(SLOTH_ABI_MAJOR) + "." + std::to_string(SLOTH_ABI_MINOR));
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (plugins_.count(m.id)) return refuse("duplicate plugin id '" + m.id + "'");
  }

  // RTLD_LOCAL keeps the plugin's symbols (a bundled library, say) from clashing with the
  // host's or another plugin's; RTLD_NOW surfaces a missing symbol here, not mid-request.
  void* handle = dlopen(m.library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) return refuse(std::string("cannot load library: ") + dlerror());
  auto describe =
      reinterpret_cast<sloth_plugin_descriptor_fn>(dlsym(handle, SLOTH_DESCRIPTOR_SYMBOL));
  if (!describe) return refuse("missing symbol " SLOTH_DESCRIPTOR_SYMBOL);
  auto init = reinterpret_cast<sloth_plugin_init_v1_fn>(dlsym(handle, SLOTH_INIT_SYMBOL));
  if (!init)
    return refuse("missing symbol " SLOTH_INIT_SYMBOL " (a plugin for another ABI major?)");

  // Descriptor and init run on a helper thread so a plugin that hangs in them cannot hang
  // start-up; such a thread is abandoned (the library is never unloaded anyway).
  struct Outcome {
    std::string error;
    const sloth_plugin_api* api = nullptr;
  };
  auto task = std::make_shared<std::packaged_task<Outcome()>>([describe, init, m]() -> Outcome {
    try {
      const sloth_plugin_info* info = describe();
      if (!info || info->struct_size < kMinInfo)
        return {"descriptor missing or too small", nullptr};
      if (info->abi_major != SLOTH_ABI_MAJOR) {
        return {"descriptor says ABI major " + std::to_string(info->abi_major) +
                    ", this host speaks " + std::to_string(SLOTH_ABI_MAJOR),
                nullptr};
      }
      if (info->min_host_minor > SLOTH_ABI_MINOR) {
        return {"descriptor needs host ABI minor " + std::to_string(info->min_host_minor) +
                    ", this host is " + std::to_string(SLOTH_ABI_MINOR),
                nullptr};
      }
      if (!info->id || m.id != info->id || !info->version || m.version != info->version ||
          info->kinds != m.kind_bits) {
        return {"descriptor (id, version, kinds) does not match plugin.json", nullptr};
      }
      const sloth_plugin_api* api = nullptr;
      const std::int32_t s = init(HostApi(), &api);
      if (s != SLOTH_OK) return {"init failed with status " + std::to_string(s), nullptr};
      if (!api) return {"init returned no plugin table", nullptr};
      const std::string bad = CheckOps(api, m.kind_bits);
      if (!bad.empty()) return {bad, nullptr};
      return {"", api};
    } catch (const std::exception& e) {
      return {std::string("init threw: ") + e.what(), nullptr};
    } catch (...) {
      return {"init threw an exception", nullptr};
    }
  });
  auto future = task->get_future();
  std::thread([task] { (*task)(); }).detach();
  if (future.wait_for(options_.init_timeout) != std::future_status::ready) {
    return refuse("descriptor/init did not return within " +
                  std::to_string(options_.init_timeout.count()) + " ms");
  }
  const Outcome outcome = future.get();
  if (!outcome.error.empty()) return refuse(outcome.error);

  auto loaded = std::make_shared<LoadedPlugin>();
  loaded->manifest = m;
  loaded->api = outcome.api;
  loaded->reentrant = (outcome.api->flags & SLOTH_PLUGIN_REENTRANT) != 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!plugins_.emplace(m.id, loaded).second) return refuse("duplicate plugin id '" + m.id + "'");
  }
  spdlog::info("plugins: loaded {} {} ({})", m.id, m.version, m.library);
  if (loaded_id) *loaded_id = m.id;
  return "";
}

std::vector<std::shared_ptr<const LoadedPlugin>> PluginManager::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::shared_ptr<const LoadedPlugin>> out;
  for (const auto& [id, p] : plugins_) out.push_back(p);
  return out;
}

std::shared_ptr<const LoadedPlugin> PluginManager::Find(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = plugins_.find(id);
  return it == plugins_.end() ? nullptr : it->second;
}

std::shared_ptr<PluginInstance> PluginManager::CreateInstance(const std::string& plugin_id,
                                                              InstanceSpec spec) {
  auto plugin = Find(plugin_id);
  if (!plugin) throw PluginError(SLOTH_NOT_FOUND, "no plugin '" + plugin_id + "' is loaded");
  if (!spec.config.is_object()) throw ConfigInvalid("", "the config must be a JSON object");
  if (auto v = Validate(plugin->manifest.config_schema, spec.config)) {
    // The JSON pointer names the field ("/token" -> "token") for the API's error envelope.
    std::string field = v->path.empty() ? "" : v->path.substr(1);
    throw ConfigInvalid(field, (field.empty() ? std::string("config") : field) + ": " + v->message);
  }
  return PluginInstance::Create(plugin, std::move(spec), context_);
}

}  // namespace sloth::plugins
