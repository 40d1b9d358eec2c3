#include "agent/tools.hpp"

#include <spdlog/spdlog.h>

#include "errors/error.hpp"
#include "plugins/json_schema.hpp"

namespace sloth::agent {
namespace {

bool ValidName(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (const char c : n) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

ToolResult Refused(std::string why) {
  ToolResult r;
  r.ok = false;
  r.error = std::move(why);
  r.output = {{"error", r.error}};
  return r;
}

}  // namespace

void ToolRegistry::Register(ToolSpec spec) {
  if (!ValidName(spec.name))
    throw std::invalid_argument("tool name '" + spec.name + "': use 1-64 of a-z 0-9 _");
  if (tools_.count(spec.name)) throw std::invalid_argument("tool " + spec.name + " twice");
  if (!spec.handler) throw std::invalid_argument("tool " + spec.name + " has no handler");
  if (!spec.parameters.is_object() || spec.parameters.value("type", "") != "object")
    throw std::invalid_argument("tool " + spec.name + ": parameters must be an object schema");
  if (const auto problem = plugins::CheckSchema(spec.parameters))
    throw std::invalid_argument("tool " + spec.name + ": " + *problem);
  const std::string name = spec.name;
  tools_.emplace(name, std::move(spec));
}

nlohmann::json ToolRegistry::Definitions() const {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [name, t] : tools_) {
    out.push_back(
        {{"type", "function"},
         {"function",
          {{"name", name}, {"description", t.description}, {"parameters", t.parameters}}}});
  }
  return out;
}

ToolResult ToolRegistry::Call(const std::string& name, const std::string& arguments_json,
                              const ToolContext& ctx) const {
  const auto it = tools_.find(name);
  if (it == tools_.end()) return Refused("there is no tool named " + name);
  auto args = nlohmann::json::parse(arguments_json.empty() ? "{}" : arguments_json, nullptr,
                                    /*allow_exceptions=*/false);
  if (args.is_discarded() || !args.is_object())
    return Refused("the arguments are not a JSON object");
  if (const auto v = plugins::Validate(it->second.parameters, args)) {
    const std::string where = v->path.empty() ? "" : v->path.substr(1) + ": ";
    return Refused("invalid arguments: " + where + v->message);
  }
  try {
    ToolResult r;
    r.output = it->second.handler(ctx, args);
    return r;
  } catch (const errors::Error& e) {
    return Refused(e.what());
  } catch (const std::exception& e) {
    spdlog::error("agent: tool {} failed for tenant {}: {}", name, ctx.tenant, e.what());
    return Refused("the tool failed; try again later");
  }
}

}  // namespace sloth::agent
