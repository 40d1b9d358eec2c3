/* A plugin of ABI major 2: its descriptor says 2 and its init is sloth_plugin_init_v2. */
#include "sloth/plugin.h"

static const sloth_plugin_info info = {sizeof(sloth_plugin_info), 2, 0, 0, "major2", "2.0.0",
                                       SLOTH_KIND_CHANNEL};

SLOTH_EXPORT const sloth_plugin_info* sloth_plugin_descriptor(void) {
  return &info;
}
SLOTH_EXPORT int32_t sloth_plugin_init_v2(const void* host, const void** out) {
  (void)host;
  (void)out;
  return 0;
}
