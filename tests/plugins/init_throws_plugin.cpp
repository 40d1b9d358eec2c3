// init throws: the host refuses the plugin and keeps going.
#include <stdexcept>

#include "sloth/plugin.h"

namespace {
const sloth_plugin_info kInfo = {
    sizeof(sloth_plugin_info), SLOTH_ABI_MAJOR, SLOTH_ABI_MINOR, 0, "init-throws", "1.0.0",
    SLOTH_KIND_CHANNEL};
}

extern "C" SLOTH_EXPORT const sloth_plugin_info* sloth_plugin_descriptor(void) {
  return &kInfo;
}
extern "C" SLOTH_EXPORT int32_t sloth_plugin_init_v1(const sloth_host_api*,
                                                     const sloth_plugin_api**) {
  throw std::runtime_error("init exploded");
}
