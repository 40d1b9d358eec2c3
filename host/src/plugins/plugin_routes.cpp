#include "plugins/plugin_routes.hpp"

namespace sloth::plugins {

void AddRoutes(http::Router& router, PluginManager& manager) {
  router.Add("GET", "/api/plugins", [&manager](http::Request&) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& p : manager.List()) {
      const auto& m = p->manifest;
      list.push_back(
          {{"id", m.id},
           {"version", m.version},
           {"description", m.description},
           {"kinds", m.kinds},
           {"feature", m.feature.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.feature)},
           {"config_schema", m.config_schema}});
    }
    return http::Response::Json(200, {{"plugins", list}});
  });
}

}  // namespace sloth::plugins
