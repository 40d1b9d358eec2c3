/* Exports the descriptor but no init: the host refuses it with "missing symbol". */
#include "sloth/plugin.h"

static const sloth_plugin_info info = {sizeof(sloth_plugin_info), 1, 0, 0, "no-init", "1.0.0",
                                       SLOTH_KIND_CHANNEL};

SLOTH_EXPORT const sloth_plugin_info* sloth_plugin_descriptor(void) {
  return &info;
}
