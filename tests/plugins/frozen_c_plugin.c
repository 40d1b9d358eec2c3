/* A plugin written in plain C11 against the frozen copy of the 1.0 header
 * (tests/abi/v1_0): proves that a plugin built against 1.0 keeps loading and working in
 * the current host. Channel + embedder. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sloth/plugin.h"

static const sloth_host_api* g_host;

typedef struct frozen_instance {
  sloth_instance_ctx* ctx;
  long sent;
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

static const sloth_channel_ops channel_ops = {
    sizeof(sloth_channel_ops), webhook, send_message, NULL, NULL, NULL};
static const sloth_embedder_ops embedder_ops = {sizeof(sloth_embedder_ops), dimension, embed};
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
                                     NULL,
                                     NULL};
static const sloth_plugin_info info = {sizeof(sloth_plugin_info),
                                       1,
                                       0,
                                       0,
                                       "frozen-c",
                                       "1.0.0",
                                       SLOTH_KIND_CHANNEL | SLOTH_KIND_EMBEDDER};

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
