// A plugin that ignores the wrapper and lets C++ exceptions escape from every entry point
// (after a successful init and start): the host must survive each one. connect returns a
// status that does not exist.
#include <stdexcept>

#include "sloth/plugin.h"

namespace {

const sloth_host_api* g_host = nullptr;
int g_instance = 0;

int32_t Create(const sloth_instance_args* args, sloth_call*, void** out) {
  if (args->config_json.size > 2) throw std::runtime_error("raw throw in create");
  *out = &g_instance;
  return SLOTH_OK;
}
void Destroy(void*) {}
int32_t Start(void*, sloth_call*) {
  return SLOTH_OK;
}
int32_t Stop(void*, sloth_call*) {
  throw std::runtime_error("raw throw in stop");
}
int32_t Health(void*, sloth_call*) {
  throw 42;
}
int32_t Webhook(void*, sloth_call*, const sloth_webhook_request*) {
  throw std::logic_error("raw throw in webhook");
}
int32_t Send(void*, sloth_call*, sloth_str) {
  throw std::runtime_error("raw throw in send");
}
int32_t Unknown(void*, sloth_call*, sloth_str) {
  return 4242;
}

int32_t Poll(void*, sloth_call*, uint32_t) {
  throw "a C string";
}

const sloth_channel_ops kChannel = {
    sizeof(sloth_channel_ops), Webhook, Send, Poll, Unknown, nullptr};
const sloth_plugin_api kApi = {sizeof(sloth_plugin_api),
                               0,
                               Create,
                               Destroy,
                               Start,
                               Stop,
                               Health,
                               &kChannel,
                               nullptr,
                               nullptr,
                               nullptr,
                               nullptr,
                               nullptr,
                               nullptr};
const sloth_plugin_info kInfo = {
    sizeof(sloth_plugin_info), SLOTH_ABI_MAJOR, SLOTH_ABI_MINOR, 0, "raw-throw", "1.0.0",
    SLOTH_KIND_CHANNEL};

}  // namespace

extern "C" SLOTH_EXPORT const sloth_plugin_info* sloth_plugin_descriptor(void) {
  return &kInfo;
}
extern "C" SLOTH_EXPORT int32_t sloth_plugin_init_v1(const sloth_host_api* host,
                                                     const sloth_plugin_api** out) {
  g_host = host;
  *out = &kApi;
  return SLOTH_OK;
}
