#pragma once

#include "http/router.hpp"
#include "plugins/plugin_manager.hpp"

namespace sloth::plugins {

// GET /api/plugins: the loaded plugins with their config schemas, so a frontend can render
// a connect form for each.
void AddRoutes(http::Router& router, PluginManager& manager);

}  // namespace sloth::plugins
