/* A plugin written in plain C11 against the frozen copy of the 1.0 header
 * (tests/abi/v1_0): proves that a plugin built against 1.0 keeps loading and working in
 * the current host. Channel + embedder + storage (kept in memory; a 1.0 storage table has
 * no streamed writes, so the host must gather an upload and call put). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sloth/plugin.h"

static const sloth_host_api* g_host;

typedef struct frozen_blob {
  char* key;
  uint8_t* data;
  size_t size;
  struct frozen_blob* next;
} frozen_blob;

typedef struct frozen_instance {
  sloth_instance_ctx* ctx;
  long sent;
  frozen_blob* blobs;
} frozen_instance;

static sloth_str str_of(const char* s) {
  sloth_str v = {s, strlen(s)};
  return v;
}

static void out(sloth_call* call, const char* s) {
  g_host->output(call, s, strlen(s));
}

static int32_t create(const sloth_instance_args* args, sloth_call* call, void** out_instance) {
  if (args->config_json.size == 0) {
    g_host->set_error(call, str_of("empty config"));
    return SLOTH_INVALID_ARGUMENT;
  }
  frozen_instance* in = calloc(1, sizeof *in);
  if (!in) return SLOTH_INTERNAL;
  in->ctx = args->ctx;
  *out_instance = in;
  return SLOTH_OK;
}

static void destroy(void* instance) {
  frozen_instance* in = instance;
  while (in->blobs) {
    frozen_blob* b = in->blobs;
    in->blobs = b->next;
    free(b->key);
    free(b->data);
    free(b);
  }
  free(instance);
}

static int32_t start(void* instance, sloth_call* call) {
  (void)call;
  frozen_instance* in = instance;
  if (g_host->log_enabled(in->ctx, SLOTH_LOG_INFO)) {
    g_host->log(in->ctx, SLOTH_LOG_INFO, str_of("frozen-c started"));
  }
  return SLOTH_OK;
}

static int32_t stop(void* instance, sloth_call* call) {
  (void)instance;
  (void)call;
  return SLOTH_OK;
}

static int32_t health(void* instance, sloth_call* call) {
  (void)instance;
  out(call, "{\"status\":\"ok\"}");
  return SLOTH_OK;
}

static int32_t webhook(void* instance, sloth_call* call, const sloth_webhook_request* request) {
  (void)instance;
  char buf[256];
  snprintf(buf, sizeof buf, "{\"events\":[{\"type\":\"raw\",\"bytes\":%zu,\"headers\":%zu}]}",
           request->body.size, request->header_count);
  out(call, buf);
  return SLOTH_OK;
}

static int32_t send_message(void* instance, sloth_call* call, sloth_str message_json) {
  frozen_instance* in = instance;
  const sloth_bytes value = {(const uint8_t*)message_json.data, message_json.size};
  const int32_t s = g_host->kv_put(in->ctx, str_of("last"), value);
  if (s != SLOTH_OK) {
    g_host->set_error(call, str_of("kv_put failed"));
    return s;
  }
  char buf[64];
  snprintf(buf, sizeof buf, "{\"message_id\":\"c-%ld\"}", ++in->sent);
  out(call, buf);
  return SLOTH_OK;
}

static uint32_t dimension(void* instance) {
  (void)instance;
  return 4;
}

static int32_t embed(void* instance, sloth_call* call, const sloth_str* texts, size_t count,
                     float* vectors) {
  (void)instance;
  (void)call;
  for (size_t i = 0; i < count; ++i) {
    vectors[i * 4 + 0] = (float)texts[i].size;
    vectors[i * 4 + 1] = texts[i].size ? (float)(unsigned char)texts[i].data[0] : 0.0f;
    vectors[i * 4 + 2] = 1.0f;
    vectors[i * 4 + 3] = (float)i;
  }
  return SLOTH_OK;
}

static frozen_blob** find_blob(frozen_instance* in, sloth_str key) {
  frozen_blob** at = &in->blobs;
  while (*at && !(strlen((*at)->key) == key.size && memcmp((*at)->key, key.data, key.size) == 0))
    at = &(*at)->next;
  return at;
}

static int32_t storage_put(void* instance, sloth_call* call, sloth_str key, sloth_bytes data,
                           sloth_str content_type) {
  (void)content_type;
  frozen_instance* in = instance;
  frozen_blob** at = find_blob(in, key);
  frozen_blob* b = *at;
  if (!b) {
    b = calloc(1, sizeof *b);
    if (!b || !(b->key = calloc(1, key.size + 1))) {
      free(b);
      return SLOTH_INTERNAL;
    }
    memcpy(b->key, key.data, key.size);
    *at = b;
  }
  free(b->data);
  b->data = malloc(data.size ? data.size : 1);
  if (!b->data) return SLOTH_INTERNAL;
  if (data.size) memcpy(b->data, data.data, data.size);
  b->size = data.size;
  char buf[128];
  snprintf(buf, sizeof buf, "{\"size\":%zu}", data.size);
  out(call, buf);
  return SLOTH_OK;
}

static int32_t storage_get(void* instance, sloth_call* call, sloth_str key) {
  frozen_blob* b = *find_blob(instance, key);
  if (!b) return SLOTH_NOT_FOUND;
  g_host->output(call, (const char*)b->data, b->size);
  return SLOTH_OK;
}

static int32_t storage_remove(void* instance, sloth_call* call, sloth_str key) {
  (void)call;
  frozen_blob** at = find_blob(instance, key);
  frozen_blob* b = *at;
  if (b) {
    *at = b->next;
    free(b->key);
    free(b->data);
    free(b);
  }
  return SLOTH_OK;
}

/* Every key under the prefix in one page (keys are [A-Za-z0-9._/-]: no JSON escaping). */
static int32_t storage_list(void* instance, sloth_call* call, sloth_str prefix, sloth_str cursor,
                            uint32_t limit) {
  (void)cursor;
  frozen_instance* in = instance;
  out(call, "{\"items\":[");
  uint32_t n = 0;
  for (frozen_blob* b = in->blobs; b && n < limit; b = b->next) {
    if (strlen(b->key) < prefix.size || memcmp(b->key, prefix.data, prefix.size) != 0) continue;
    char size[64];
    snprintf(size, sizeof size, "\",\"size\":%zu}", b->size);
    out(call, n ? ",{\"key\":\"" : "{\"key\":\"");
    ++n;
    g_host->output(call, b->key, strlen(b->key));
    out(call, size);
  }
  out(call, "]}");
  return SLOTH_OK;
}

static const sloth_channel_ops channel_ops = {
    sizeof(sloth_channel_ops), webhook, send_message, NULL, NULL, NULL};
static const sloth_embedder_ops embedder_ops = {sizeof(sloth_embedder_ops), dimension, embed};
static const sloth_storage_ops storage_ops = {sizeof(sloth_storage_ops), storage_put, storage_get,
                                              storage_remove, storage_list};
static const sloth_plugin_api api = {sizeof(sloth_plugin_api),
                                     0,
                                     create,
                                     destroy,
                                     start,
                                     stop,
                                     health,
                                     &channel_ops,
                                     NULL,
                                     &embedder_ops,
                                     NULL,
                                     NULL,
                                     &storage_ops,
                                     NULL};
static const sloth_plugin_info info = {
    sizeof(sloth_plugin_info),
    1,
    0,
    0,
    "frozen-c",
    "1.0.0",
    SLOTH_KIND_CHANNEL | SLOTH_KIND_EMBEDDER | SLOTH_KIND_STORAGE};

SLOTH_EXPORT const sloth_plugin_info* sloth_plugin_descriptor(void) {
  return &info;
}

SLOTH_EXPORT int32_t sloth_plugin_init_v1(const sloth_host_api* host,
                                          const sloth_plugin_api** out_api) {
  if (host->abi_major != 1) return SLOTH_UNSUPPORTED;
  g_host = host;
  *out_api = &api;
  return SLOTH_OK;
}
