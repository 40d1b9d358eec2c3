// The host services of plugin.h. Each function is called from plugin threads: it checks
// that the instance may still call the host, never throws back across the ABI, and reports
// failures as a status.

#include "plugins/host_services.hpp"

#include <sodium.h>

#include <cctype>
#include <optional>
#include <regex>

#include <spdlog/spdlog.h>

#include "db/pool.hpp"
#include "metrics/metrics.hpp"
#include "outbound/http_client.hpp"
#include "plugins/plugin_instance.hpp"

namespace sloth::plugins {
namespace {

constexpr std::size_t kMaxKvKey = 256;
constexpr std::size_t kMaxKvValue = 1 << 20;

std::string Str(sloth_str s) {
  return s.size ? std::string(s.data, s.size) : std::string();
}

// The instance behind a ctx, or nullptr (and one log line) when it may not call the host.
PluginInstance* Live(sloth_instance_ctx* ctx, const char* service) {
  if (!ctx || !ctx->instance) return nullptr;
  if (!ctx->instance->AcceptsHostCalls()) {
    ctx->instance->NoteRefusedHostCall(service);
    return nullptr;
  }
  return ctx->instance;
}

// Values cross to PostgreSQL's bytea as hex text (parameters are sent as text).
std::string Hex(const std::string& bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                 bytes.size());
  out.pop_back();
  return out;
}

std::string Unhex(std::string_view hex) {
  std::string out(hex.size() / 2, '\0');
  std::size_t len = 0;
  sodium_hex2bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), hex.data(), hex.size(),
                 nullptr, &len, nullptr);
  out.resize(len);
  return out;
}

// sloth_log_level -> spdlog; nullopt for a value outside the enum.
std::optional<spdlog::level::level_enum> LevelOf(int32_t level) {
  static const spdlog::level::level_enum map[] = {spdlog::level::trace, spdlog::level::debug,
                                                  spdlog::level::info, spdlog::level::warn,
                                                  spdlog::level::err};
  if (level < 0 || level > 4) return std::nullopt;
  return map[level];
}

// Runs `fn(tx, table)` in the instance's tenant scope (or against public.plugin_kv for a
// platform-wide instance).
template <typename F>
auto WithKv(PluginInstance& p, F&& fn) {
  auto& pool = *p.host().pool;
  if (p.spec().tenant_id) {
    return pool.InTenant(db::TenantId{*p.spec().tenant_id},
                         [&](db::Transaction& tx) { return fn(tx, std::string("plugin_kv")); });
  }
  return pool.InTransaction(
      [&](db::Transaction& tx) { return fn(tx, std::string("public.plugin_kv")); });
}

std::string KvScope(PluginInstance& p) {
  return p.plugin().manifest.id + "/" + p.spec().instance_id;
}

int32_t LogEnabled(sloth_instance_ctx* ctx, int32_t level) {
  if (!ctx || !ctx->instance) return 0;
  const auto lv = LevelOf(level);
  return lv && spdlog::default_logger_raw()->should_log(*lv) ? 1 : 0;
}

void Log(sloth_instance_ctx* ctx, int32_t level, sloth_str message) {
  PluginInstance* p = Live(ctx, "log");
  if (!p) return;
  const auto lv = LevelOf(level).value_or(spdlog::level::info);
  std::string text = Str(message);
  if (text.size() > 4096) text = text.substr(0, 4096) + "...";
  spdlog::log(lv, "plugin {} [{}{}]: {}", p->plugin().manifest.id, p->spec().instance_id,
              p->spec().tenant_id ? " tenant " + std::to_string(*p->spec().tenant_id) : "", text);
}

int32_t PluginConfig(sloth_instance_ctx* ctx, const sloth_sink* out) {
  PluginInstance* p = Live(ctx, "plugin_config");
  if (!p || !out) return p ? SLOTH_INVALID_ARGUMENT : SLOTH_CANCELLED;
  const auto& all = p->host().plugin_configs;
  const auto& id = p->plugin().manifest.id;
  const std::string text = all.contains(id) ? all[id].dump() : "{}";
  out->write(out->ctx, text.data(), text.size());
  return SLOTH_OK;
}

int32_t Secret(sloth_instance_ctx* ctx, sloth_str name, const sloth_sink* out) {
  PluginInstance* p = Live(ctx, "secret");
  if (!p || !out) return p ? SLOTH_INVALID_ARGUMENT : SLOTH_CANCELLED;
  static const std::regex name_re("^[A-Za-z0-9_]{1,64}$");
  const std::string n = Str(name);
  if (!std::regex_match(n, name_re)) return SLOTH_INVALID_ARGUMENT;
  // SLOTH_PLUGIN_<ID>_<NAME>: secrets live in the environment, never in YAML.
  std::string var = "SLOTH_PLUGIN_";
  for (char c : p->plugin().manifest.id + "_" + n) {
    var += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  const auto v = p->host().env ? p->host().env(var) : std::nullopt;
  if (!v) return SLOTH_NOT_FOUND;
  out->write(out->ctx, v->data(), v->size());
  return SLOTH_OK;
}

int32_t KvGet(sloth_instance_ctx* ctx, sloth_str key, const sloth_sink* out) {
  PluginInstance* p = Live(ctx, "kv_get");
  if (!p) return SLOTH_CANCELLED;
  if (!out || key.size == 0 || key.size > kMaxKvKey || !p->host().pool)
    return SLOTH_INVALID_ARGUMENT;
  try {
    const auto value = WithKv(*p, [&](db::Transaction& tx, const std::string& table) {
      auto r = tx.Exec(
          "SELECT encode(value, 'hex') FROM " + table + " WHERE instance_id = $1 AND key = $2",
          KvScope(*p), Str(key));
      return r.Empty() ? std::optional<std::string>() : std::optional<std::string>(r.Text(0, 0));
    });
    if (!value) return SLOTH_NOT_FOUND;
    const std::string bytes = Unhex(*value);
    out->write(out->ctx, bytes.data(), bytes.size());
    return SLOTH_OK;
  } catch (const std::exception& e) {
    spdlog::error("plugin {}: kv_get failed: {}", p->plugin().manifest.id, e.what());
    return SLOTH_UNAVAILABLE;
  }
}

int32_t KvPut(sloth_instance_ctx* ctx, sloth_str key, sloth_bytes value) {
  PluginInstance* p = Live(ctx, "kv_put");
  if (!p) return SLOTH_CANCELLED;
  if (key.size == 0 || key.size > kMaxKvKey || value.size > kMaxKvValue || !p->host().pool) {
    return SLOTH_INVALID_ARGUMENT;
  }
  try {
    const std::string bytes(reinterpret_cast<const char*>(value.data), value.size);
    WithKv(*p, [&](db::Transaction& tx, const std::string& table) {
      tx.Exec("INSERT INTO " + table +
                  " (instance_id, key, value) VALUES ($1, $2, decode($3, 'hex')) "
                  "ON CONFLICT (instance_id, key) DO UPDATE SET value = excluded.value, "
                  "updated_at = now()",
              KvScope(*p), Str(key), Hex(bytes));
      return 0;
    });
    return SLOTH_OK;
  } catch (const std::exception& e) {
    spdlog::error("plugin {}: kv_put failed: {}", p->plugin().manifest.id, e.what());
    return SLOTH_UNAVAILABLE;
  }
}

int32_t KvDelete(sloth_instance_ctx* ctx, sloth_str key) {
  PluginInstance* p = Live(ctx, "kv_delete");
  if (!p) return SLOTH_CANCELLED;
  if (key.size == 0 || key.size > kMaxKvKey || !p->host().pool) return SLOTH_INVALID_ARGUMENT;
  try {
    WithKv(*p, [&](db::Transaction& tx, const std::string& table) {
      tx.Exec("DELETE FROM " + table + " WHERE instance_id = $1 AND key = $2", KvScope(*p),
              Str(key));
      return 0;
    });
    return SLOTH_OK;
  } catch (const std::exception& e) {
    spdlog::error("plugin {}: kv_delete failed: {}", p->plugin().manifest.id, e.what());
    return SLOTH_UNAVAILABLE;
  }
}

int32_t Http(sloth_instance_ctx* ctx, const sloth_http_request* request,
             const sloth_http_response_sink* response) {
  PluginInstance* p = Live(ctx, "http");
  if (!p) return SLOTH_CANCELLED;
  if (!request || !response || !p->host().http ||
      !SLOTH_HAS_FIELD(request, sloth_http_request, max_retries) ||
      !SLOTH_HAS_FIELD(response, sloth_http_response_sink, on_body)) {
    return SLOTH_INVALID_ARGUMENT;
  }
  outbound::Request r;
  r.method = Str(request->method);
  r.url = Str(request->url);
  for (std::size_t i = 0; i < request->header_count; ++i) {
    r.headers.emplace_back(Str(request->headers[i].name), Str(request->headers[i].value));
  }
  if (request->body.size) {
    r.body.assign(reinterpret_cast<const char*>(request->body.data), request->body.size);
  }
  r.timeout = std::chrono::milliseconds(request->timeout_ms);
  r.max_retries = static_cast<int>(std::min<std::uint32_t>(request->max_retries, 10));
  try {
    const auto resp = p->host().http->Send(r, p->plugin().manifest.id);
    if (response->on_status) response->on_status(response->ctx, resp.status);
    if (response->on_header) {
      for (const auto& [k, v] : resp.headers) {
        response->on_header(response->ctx, sloth_str{k.data(), k.size()},
                            sloth_str{v.data(), v.size()});
      }
    }
    if (response->on_body && !resp.body.empty()) {
      response->on_body(response->ctx, reinterpret_cast<const std::uint8_t*>(resp.body.data()),
                        resp.body.size());
    }
    return SLOTH_OK;
  } catch (const outbound::Error& e) {
    spdlog::warn("plugin {}: HTTP {} refused or failed: {}", p->plugin().manifest.id, r.method,
                 e.what());
    return e.code();
  } catch (const std::exception& e) {
    spdlog::error("plugin {}: HTTP failed: {}", p->plugin().manifest.id, e.what());
    return SLOTH_INTERNAL;
  }
}

int32_t Emit(sloth_instance_ctx* ctx, sloth_str events_json) {
  PluginInstance* p = Live(ctx, "emit");
  if (!p) return SLOTH_CANCELLED;
  const std::string text = Str(events_json);
  if (nlohmann::json::parse(text, nullptr, false).is_discarded()) return SLOTH_INVALID_ARGUMENT;
  if (!p->host().emit) {
    spdlog::warn("plugin {}: emitted events but no event consumer is attached; refused",
                 p->plugin().manifest.id);
    return SLOTH_UNAVAILABLE;
  }
  try {
    return p->host().emit(*p, text);
  } catch (const std::exception& e) {
    spdlog::error("plugin {}: storing emitted events failed: {}", p->plugin().manifest.id,
                  e.what());
    return SLOTH_UNAVAILABLE;
  }
}

int32_t Post(sloth_instance_ctx* ctx, uint32_t delay_ms, sloth_task_fn fn, void* arg) {
  PluginInstance* p = Live(ctx, "post");
  if (!p) return SLOTH_CANCELLED;
  if (!fn) return SLOTH_INVALID_ARGUMENT;
  return p->PostTask(delay_ms, fn, arg) ? SLOTH_OK : SLOTH_CANCELLED;
}

void CounterAdd(sloth_instance_ctx* ctx, sloth_str name, double delta) {
  PluginInstance* p = Live(ctx, "counter_add");
  if (!p || !p->host().metrics) return;
  static const std::regex name_re("^[a-z0-9_]{1,64}$");
  const std::string n = Str(name);
  if (!std::regex_match(n, name_re) || !(delta >= 0)) return;
  p->host().metrics->Inc(
      "sloth_plugin_" + n + "_total", "counter reported by a plugin",
      {{"plugin", p->plugin().manifest.id},
       {"tenant", p->spec().tenant_id ? std::to_string(*p->spec().tenant_id) : ""}},
      delta);
}

void Output(sloth_call* call, const char* data, std::size_t size) {
  if (call && data && !call->cancelled) call->output.append(data, size);
}

void SetError(sloth_call* call, sloth_str message) {
  if (call && !call->cancelled) call->error = Str(message).substr(0, 4096);
}

void SetRetryAfter(sloth_call* call, uint32_t ms) {
  if (call) call->retry_after_ms = ms;
}

int32_t Cancelled(sloth_call* call) {
  return call && call->cancelled ? 1 : 0;
}

const sloth_host_api kHostApi = {
    sizeof(sloth_host_api),
    SLOTH_ABI_MAJOR,
    SLOTH_ABI_MINOR,
    &LogEnabled,
    &Log,
    &PluginConfig,
    &Secret,
    &KvGet,
    &KvPut,
    &KvDelete,
    &Http,
    &Emit,
    &Post,
    &CounterAdd,
    &Output,
    &SetError,
    &SetRetryAfter,
    &Cancelled,
};

}  // namespace

const sloth_host_api* HostApi() {
  return &kHostApi;
}

}  // namespace sloth::plugins
