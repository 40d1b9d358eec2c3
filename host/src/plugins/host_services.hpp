#pragma once

#include "sloth/plugin.h"

namespace sloth::plugins {

// The host's services table handed to every plugin's init. Static: valid for the process.
const sloth_host_api* HostApi();

}  // namespace sloth::plugins
