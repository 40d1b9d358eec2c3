/*
 * Sloth plugin ABI, major version 1.
 *
 * The only contract between sloth-host and a plugin library. Pure C (C11 and C++): no C++
 * types, no exceptions and no memory crosses this boundary to be freed by the other side.
 *
 * Compatibility rules (the promise to plugin authors):
 *  - A plugin built against 1.N loads in every host 1.M with M >= the plugin's
 *    min_host_minor. A host refuses another major, and a plugin that needs a newer minor,
 *    before running any plugin code beyond the pure descriptor function.
 *  - Every struct begins with `struct_size`. Structs only grow at the end; a reader tests
 *    whether a field is present with SLOTH_HAS_FIELD before reading it. Enums only grow.
 *  - Exported symbols: exactly sloth_plugin_descriptor and sloth_plugin_init_v1.
 *  - Prefixes say who implements what: sloth_host_* tables are implemented by the host,
 *    sloth_*_ops and sloth_plugin_api by the plugin.
 *
 * Ownership, everywhere below unless a field says otherwise:
 *  - BORROWED: every pointer passed as an argument (views, structs, arrays) is owned by
 *    the caller and valid only until the function returns. Copy what you keep.
 *  - SINK: results travel through the *receiver's* sink: the host writes into a plugin's
 *    sloth_sink; a plugin writes its results with host->output(call, ...). Nobody returns
 *    memory for the other side to free.
 *  - STATIC: descriptor strings are static data of the library, valid for the process
 *    lifetime (libraries are never unloaded).
 *
 * Strings are UTF-8 views {data, size}, not NUL-terminated. JSON payloads are UTF-8 JSON
 * text whose schemas are documented in sdk/README.md; they grow compatibly (new optional
 * members only), so the ABI does not have to.
 */
#ifndef SLOTH_PLUGIN_H
#define SLOTH_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#define SLOTH_ABI_MAJOR 1
#define SLOTH_ABI_MINOR 3

#if defined(__GNUC__)
#define SLOTH_EXPORT __attribute__((visibility("default")))
#else
#define SLOTH_EXPORT
#endif

#ifdef __cplusplus
#define SLOTH_EXTERN_C extern "C"
extern "C" {
#else
#define SLOTH_EXTERN_C
#endif

/* True when the struct at `ptr` (whose first member is struct_size) is large enough to
 * contain `field`: how a reader tests for members added in a later minor version. */
#ifdef __cplusplus
#define SLOTH_FIELD_SIZE(type, field) sizeof(static_cast<type*>(nullptr)->field)
#else
#define SLOTH_FIELD_SIZE(type, field) sizeof(((type*)0)->field)
#endif
#define SLOTH_HAS_FIELD(ptr, type, field) \
  ((ptr)->struct_size >= offsetof(type, field) + SLOTH_FIELD_SIZE(type, field))

/* ---- Basic types ------------------------------------------------------------------ */

/* A UTF-8 string view. BORROWED. `data` may be NULL when size is 0. */
typedef struct sloth_str {
  const char* data;
  size_t size;
} sloth_str;

/* A byte view. BORROWED. */
typedef struct sloth_bytes {
  const uint8_t* data;
  size_t size;
} sloth_bytes;

/* Status codes. Values are fixed forever; new codes are only appended. A reader treats an
 * unknown code as SLOTH_INTERNAL. Fields holding a status are int32_t. */
typedef enum sloth_status {
  SLOTH_OK = 0,
  SLOTH_INVALID_ARGUMENT = 1, /* the input is wrong; retrying it will not help */
  SLOTH_NOT_FOUND = 2,
  SLOTH_UNAUTHENTICATED = 3, /* credentials missing, wrong or revoked */
  SLOTH_RATE_LIMITED = 4,    /* retry after host->set_retry_after's delay */
  SLOTH_UNAVAILABLE = 5,     /* transient; retry with backoff */
  SLOTH_TIMEOUT = 6,
  SLOTH_CANCELLED = 7,
  SLOTH_UNSUPPORTED = 8, /* the operation or option is not provided by this plugin */
  SLOTH_INTERNAL = 9
} sloth_status;

/* Plugin kinds, as bits of sloth_plugin_info.kinds. */
typedef enum sloth_kind {
  SLOTH_KIND_CHANNEL = 1u << 0,
  SLOTH_KIND_LLM = 1u << 1,
  SLOTH_KIND_EMBEDDER = 1u << 2,
  SLOTH_KIND_VISION = 1u << 3,
  SLOTH_KIND_CALENDAR = 1u << 4,
  SLOTH_KIND_STORAGE = 1u << 5,
  SLOTH_KIND_PAYMENT = 1u << 6
} sloth_kind;

typedef enum sloth_log_level {
  SLOTH_LOG_TRACE = 0,
  SLOTH_LOG_DEBUG = 1,
  SLOTH_LOG_INFO = 2,
  SLOTH_LOG_WARN = 3,
  SLOTH_LOG_ERROR = 4
} sloth_log_level;

/* A receiver for bytes: the receiver owns `ctx` and whatever `write` appends to. `write`
 * may be called any number of times; each call appends. */
typedef struct sloth_sink {
  void* ctx;
  void (*write)(void* ctx, const char* data, size_t size);
} sloth_sink;

/* One HTTP header. BORROWED. */
typedef struct sloth_header {
  sloth_str name;
  sloth_str value;
} sloth_header;

/* Opaque handles, owned by the host.
 * sloth_instance_ctx: the host's side of one plugin instance; valid from create until
 *   destroy returns. Pass it to every host service.
 * sloth_call: one call from the host into the plugin; valid only until that call returns. */
typedef struct sloth_instance_ctx sloth_instance_ctx;
typedef struct sloth_call sloth_call;

/* ---- Host services (implemented by the host; every function is thread-safe) ---------- */

/* An outbound HTTP request. The host owns sockets, TLS, timeouts, retries, metrics and the
 * allow-list: a URL the allow-list refuses fails with SLOTH_INVALID_ARGUMENT before any
 * connection is made. Tests rewrite base URLs to local fakes in host config. */
typedef struct sloth_http_request {
  uint32_t struct_size;
  sloth_str method; /* "GET", "POST", ... */
  sloth_str url;    /* absolute http(s) URL */
  const sloth_header* headers;
  size_t header_count;
  sloth_bytes body;
  uint32_t timeout_ms;  /* whole request; 0 = host default */
  uint32_t max_retries; /* retries on connect errors, 429 and 5xx honouring Retry-After;
                           only for requests safe to repeat (idempotent or keyed) */
} sloth_http_request;

/* Receives an HTTP response: on_status once, on_header per header, on_body per chunk. */
typedef struct sloth_http_response_sink {
  uint32_t struct_size;
  void* ctx;
  void (*on_status)(void* ctx, int32_t status);
  void (*on_header)(void* ctx, sloth_str name, sloth_str value);
  void (*on_body)(void* ctx, const uint8_t* data, size_t size);
} sloth_http_response_sink;

/* Work posted to an instance: runs on a host thread, serialised with the instance's other
 * calls. `status` is SLOTH_OK when it runs, SLOTH_CANCELLED when the instance stopped
 * first: the function is called exactly once either way, so `arg` can always be freed. */
typedef void (*sloth_task_fn)(void* instance, void* arg, int32_t status);

typedef struct sloth_host_api {
  uint32_t struct_size;
  uint32_t abi_major;
  uint32_t abi_minor;

  /* Logging. log_enabled lets a plugin skip formatting a message that would be dropped. */
  int32_t (*log_enabled)(sloth_instance_ctx* ctx, int32_t level);
  void (*log)(sloth_instance_ctx* ctx, int32_t level, sloth_str message);

  /* The plugin's own section of the host configuration (plugins.config.<id> in host.yaml),
   * as a JSON object, into `out`. */
  int32_t (*plugin_config)(sloth_instance_ctx* ctx, const sloth_sink* out);
  /* A named secret for this plugin from the host's secret store (environment). Never
   * logged by the host. SLOTH_NOT_FOUND when unset. */
  int32_t (*secret)(sloth_instance_ctx* ctx, sloth_str name, const sloth_sink* out);

  /* Per-instance key-value store, persisted in the tenant's own schema. Keys are 1..256
   * bytes, values up to 1 MiB. kv_get writes the value into `out`, or returns
   * SLOTH_NOT_FOUND. */
  int32_t (*kv_get)(sloth_instance_ctx* ctx, sloth_str key, const sloth_sink* out);
  int32_t (*kv_put)(sloth_instance_ctx* ctx, sloth_str key, sloth_bytes value);
  int32_t (*kv_delete)(sloth_instance_ctx* ctx, sloth_str key);

  /* Blocking HTTP through the host. Returns SLOTH_OK when a response arrived (whatever its
   * status), or an error status (SLOTH_TIMEOUT, SLOTH_UNAVAILABLE, ...) with a message. */
  int32_t (*http)(sloth_instance_ctx* ctx, const sloth_http_request* request,
                  const sloth_http_response_sink* response);

  /* Hands inbound events (a JSON array or object, see README "Events") to the host, e.g.
   * from a long-poll loop. SLOTH_OK means the host has stored them durably. */
  int32_t (*emit)(sloth_instance_ctx* ctx, sloth_str events_json);

  /* Runs `fn(instance, arg, status)` after `delay_ms`, serialised with the instance.
   * Returns SLOTH_OK when accepted (fn will then be called exactly once: with SLOTH_OK,
   * or with SLOTH_CANCELLED before the instance's stop); any other status means fn will
   * never be called. */
  int32_t (*post)(sloth_instance_ctx* ctx, uint32_t delay_ms, sloth_task_fn fn, void* arg);

  /* Adds `delta` to the counter sloth_plugin_<name>_total{plugin, tenant}. `name` is
   * [a-z0-9_]{1,64}. */
  void (*counter_add)(sloth_instance_ctx* ctx, sloth_str name, double delta);

  /* Call results, valid only inside the call that received `call`:
   * output appends to the call's result (JSON or bytes, per operation);
   * set_error attaches a human-readable message to a non-OK status;
   * set_retry_after tells the host when to retry a SLOTH_RATE_LIMITED / UNAVAILABLE;
   * cancelled is non-zero once the host has given up waiting (timeout): stop early. */
  void (*output)(sloth_call* call, const char* data, size_t size);
  void (*set_error)(sloth_call* call, sloth_str message);
  void (*set_retry_after)(sloth_call* call, uint32_t milliseconds);
  int32_t (*cancelled)(sloth_call* call);
} sloth_host_api;

/* ---- Per-kind operations (implemented by the plugin) ------------------------------- */
/* Every operation returns a sloth_status (as int32_t); results go to host->output(call).
 * An optional operation may be NULL; the host then answers SLOTH_UNSUPPORTED. */

/* An inbound webhook request as the host received it. */
typedef struct sloth_webhook_request {
  uint32_t struct_size;
  sloth_str method;
  sloth_str path;  /* the path after /hooks/<plugin>/<integration> */
  sloth_str query; /* raw query string, without '?' */
  const sloth_header* headers;
  size_t header_count;
  sloth_bytes body; /* raw body: signatures are computed over these exact bytes */
} sloth_webhook_request;

typedef struct sloth_channel_ops {
  uint32_t struct_size;
  /* Verifies (secret token / HMAC) and parses a webhook. Output: {"response":{...}?,
   * "events":[...]}. An unverifiable request returns SLOTH_UNAUTHENTICATED. */
  int32_t (*webhook)(void* instance, sloth_call* call, const sloth_webhook_request* request);
  /* Sends one message. Input: {"chat_id", "text"?, "photo"?, "keyboard"?, ...}.
   * Output: {"message_id": "..."}. */
  int32_t (*send)(void* instance, sloth_call* call, sloth_str message_json);
  /* Optional, for long-polling channels: fetch once (up to timeout_ms), emit events with
   * host->emit, confirm what was stored. Output: {"received": n}. */
  int32_t (*poll)(void* instance, sloth_call* call, uint32_t timeout_ms);
  /* Optional: connect (e.g. register a webhook). Input: {"webhook_url"?}. Output: JSON
   * describing the connection ({"mode":"webhook"|"polling", ...}). */
  int32_t (*connect)(void* instance, sloth_call* call, sloth_str request_json);
  /* Optional: undo connect. */
  int32_t (*disconnect)(void* instance, sloth_call* call);
} sloth_channel_ops;

typedef struct sloth_llm_ops {
  uint32_t struct_size;
  /* Input: {"messages":[{"role","content"}], "tools"?:[...], "temperature"?, "max_tokens"?}.
   * Output: {"text"?, "tool_calls"?:[{"id","name","arguments"}], "usage":{...}}. */
  int32_t (*chat)(void* instance, sloth_call* call, sloth_str request_json);
  /* Optional: as chat, calling on_delta for each text fragment as it arrives; the final
   * output is the same document chat would produce. */
  int32_t (*chat_stream)(void* instance, sloth_call* call, sloth_str request_json,
                         void (*on_delta)(void* ctx, sloth_str delta), void* delta_ctx);
} sloth_llm_ops;

typedef struct sloth_embedder_ops {
  uint32_t struct_size;
  /* Vector dimension; constant for the instance's lifetime. */
  uint32_t (*dimension)(void* instance);
  /* Embeds `count` texts into `vectors`, a caller-owned array of count * dimension floats
   * (row i = text i). */
  int32_t (*embed)(void* instance, sloth_call* call, const sloth_str* texts, size_t count,
                   float* vectors);
} sloth_embedder_ops;

typedef struct sloth_vision_ops {
  uint32_t struct_size;
  /* Output: {"labels":[{"name","score"}], "text", "objects":[{"name","score"}],
   * "faces": n}. `options_json` may ask for a subset ({"features":[...]}). */
  int32_t (*analyze)(void* instance, sloth_call* call, sloth_bytes image, sloth_str content_type,
                     sloth_str options_json);
} sloth_vision_ops;

typedef struct sloth_calendar_ops {
  uint32_t struct_size;
  /* Input: {"calendar_id", "time_min", "time_max"} (RFC 3339). Output: {"busy":[{"start","end"}]}.
   */
  int32_t (*free_busy)(void* instance, sloth_call* call, sloth_str request_json);
  /* Input: {"calendar_id", "summary", "start", "end", "description"?, "time_zone"?}.
   * Output: {"event_id", ...}. */
  int32_t (*create_event)(void* instance, sloth_call* call, sloth_str event_json);
  /* Input: as create_event plus "event_id". */
  int32_t (*update_event)(void* instance, sloth_call* call, sloth_str event_json);
  int32_t (*delete_event)(void* instance, sloth_call* call, sloth_str calendar_id,
                          sloth_str event_id);
  /* Since 1.3: the provider's OAuth consent and two-way sync. Check with SLOTH_HAS_FIELD.
   * authorize_url, before the organisation has credentials (the instance is created with
   * the platform's config only). Input: {"redirect_uri", "state", "code_challenge"} (PKCE
   * S256). Output: {"url"}. */
  int32_t (*authorize_url)(void* instance, sloth_call* call, sloth_str request_json);
  /* Input: {"code", "code_verifier", "redirect_uri"}. Output: {"credentials":{...}} — the
   * fields the host seals into the integration's config (e.g. a refresh token) — and
   * optionally {"account"}, a name the salon recognises. */
  int32_t (*exchange_code)(void* instance, sloth_call* call, sloth_str request_json);
  /* Changed events. Input: {"calendar_id", "sync_token"?, "time_min"?}. Output: {"events":
   * [{"id", "status" ("confirmed"|"tentative"|"cancelled"), "start"?, "end"?, "busy",
   * "booking_id"?}], "sync_token", "full"}: "full" is true when this is the whole calendar
   * from time_min (no token given, or the provider expired it): the host then replaces
   * what it knew. */
  int32_t (*list_events)(void* instance, sloth_call* call, sloth_str request_json);
  /* Revokes the credentials at the provider. */
  int32_t (*disconnect)(void* instance, sloth_call* call);
} sloth_calendar_ops;

typedef struct sloth_storage_ops {
  uint32_t struct_size;
  /* Output: {"key", "size", "etag"?}. */
  int32_t (*put)(void* instance, sloth_call* call, sloth_str key, sloth_bytes data,
                 sloth_str content_type);
  /* Output: the blob's bytes. SLOTH_NOT_FOUND when absent. */
  int32_t (*get)(void* instance, sloth_call* call, sloth_str key);
  int32_t (*remove)(void* instance, sloth_call* call, sloth_str key);
  /* Output: {"items":[{"key","size"}], "next_cursor"?}. */
  int32_t (*list)(void* instance, sloth_call* call, sloth_str prefix, sloth_str cursor,
                  uint32_t limit);
  /* Since 1.2: streamed writes, so a blob never has to fit in memory (S3: a multipart
   * upload). begin_put outputs {"upload_id"}; put_part appends `data` (parts arrive in order,
   * of any size: a plugin whose backend needs larger parts buffers them); commit_put makes
   * the blob visible under its key, all at once, and outputs {"key", "size", "etag"?};
   * abort_put discards it. The host commits or aborts every upload it begins unless it
   * dies: a plugin may discard uploads left open for a day. SLOTH_UNSUPPORTED from
   * begin_put (or a table without these fields) makes the host fall back to `put`. */
  int32_t (*begin_put)(void* instance, sloth_call* call, sloth_str key, sloth_str content_type);
  int32_t (*put_part)(void* instance, sloth_call* call, sloth_str upload_id, sloth_bytes data);
  int32_t (*commit_put)(void* instance, sloth_call* call, sloth_str upload_id);
  int32_t (*abort_put)(void* instance, sloth_call* call, sloth_str upload_id);
} sloth_storage_ops;

typedef struct sloth_payment_ops {
  uint32_t struct_size;
  /* Input: {"plan", "cycle", "customer_email", "success_url", "cancel_url",
   * "idempotency_key", "metadata"?}. Output: {"session_id", "url"}. */
  int32_t (*create_checkout)(void* instance, sloth_call* call, sloth_str request_json);
  /* Verifies the provider's signature and parses the event. Output:
   * {"events":[{"id","type","data"}]}. Bad signature: SLOTH_UNAUTHENTICATED. */
  int32_t (*webhook)(void* instance, sloth_call* call, const sloth_webhook_request* request);
  /* Since 1.1. Stops a subscription from renewing. Input: {"subscription_id",
   * "at_period_end": true|false, "idempotency_key"}. Output: {"status", "cancel_at_period_end",
   * "current_period_end"?}. Check with SLOTH_HAS_FIELD before calling. */
  int32_t (*cancel_subscription)(void* instance, sloth_call* call, sloth_str request_json);
} sloth_payment_ops;

/* ---- The plugin ----------------------------------------------------------------- */

/* Flags of sloth_plugin_api.flags. */
#define SLOTH_PLUGIN_REENTRANT (1u << 0) /* calls into one instance may run concurrently */

/* What the host passes to create. BORROWED. */
typedef struct sloth_instance_args {
  uint32_t struct_size;
  sloth_str instance_id; /* the integration's id; stable across restarts */
  sloth_str tenant_id;   /* empty for platform-wide instances */
  sloth_str config_json; /* validated against the manifest's config_schema, secrets decrypted */
  sloth_instance_ctx* ctx;
} sloth_instance_args;

/* The plugin's table, returned by sloth_plugin_init_v1. STATIC: it must stay valid for the
 * process lifetime. Lifecycle of one instance: create -> start -> (operations) -> stop ->
 * destroy. If create fails, nothing else is called for that instance. After stop returns,
 * the host makes no further call into the instance except destroy, and refuses its calls
 * into the host. */
typedef struct sloth_plugin_api {
  uint32_t struct_size;
  uint32_t flags;
  /* Creates an instance into *out_instance. On failure, set an error on `call`. */
  int32_t (*create)(const sloth_instance_args* args, sloth_call* call, void** out_instance);
  void (*destroy)(void* instance);
  int32_t (*start)(void* instance, sloth_call* call);
  int32_t (*stop)(void* instance, sloth_call* call);
  /* Output: {"status":"ok"|"degraded"|"down", "detail"?}. */
  int32_t (*health)(void* instance, sloth_call* call);
  /* One table per kind the descriptor declares; NULL for the others. STATIC. */
  const sloth_channel_ops* channel;
  const sloth_llm_ops* llm;
  const sloth_embedder_ops* embedder;
  const sloth_vision_ops* vision;
  const sloth_calendar_ops* calendar;
  const sloth_storage_ops* storage;
  const sloth_payment_ops* payment;
} sloth_plugin_api;

/* The pure descriptor ("magic"), returned by the exported function
 * `const sloth_plugin_info* sloth_plugin_descriptor(void)`. STATIC. The host calls it
 * before anything else: it must have no side effects and touch nothing but static data. */
typedef struct sloth_plugin_info {
  uint32_t struct_size;
  uint32_t abi_major;      /* SLOTH_ABI_MAJOR the plugin was built with */
  uint32_t abi_minor;      /* SLOTH_ABI_MINOR the plugin was built with */
  uint32_t min_host_minor; /* the oldest host minor (same major) the plugin works with */
  const char* id;          /* [a-z0-9_-]{1,64}, NUL-terminated */
  const char* version;     /* semantic version, NUL-terminated */
  uint32_t kinds;          /* sloth_kind bits */
} sloth_plugin_info;

typedef const sloth_plugin_info* (*sloth_plugin_descriptor_fn)(void);
/* `int32_t sloth_plugin_init_v1(const sloth_host_api* host, const sloth_plugin_api** out)`:
 * called once per process after the descriptor was accepted. `host` is STATIC on the host
 * side: keep the pointer. A non-OK status refuses the whole plugin. */
typedef int32_t (*sloth_plugin_init_v1_fn)(const sloth_host_api* host,
                                           const sloth_plugin_api** out_api);

#define SLOTH_DESCRIPTOR_SYMBOL "sloth_plugin_descriptor"
#define SLOTH_INIT_SYMBOL "sloth_plugin_init_v1"

#ifdef __cplusplus
}
#endif

#endif /* SLOTH_PLUGIN_H */
