#include "schema/yaml_json.hpp"

#include <regex>

namespace sloth::config {

nlohmann::json YamlToJson(const YAML::Node& node) {
  if (!node || node.IsNull()) return nullptr;
  if (node.IsSequence()) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& item : node) a.push_back(YamlToJson(item));
    return a;
  }
  if (node.IsMap()) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& kv : node) o[kv.first.as<std::string>()] = YamlToJson(kv.second);
    return o;
  }
  const std::string& s = node.Scalar();
  if (node.Tag() == "!") return s;  // quoted in the source
  static const std::regex integer(R"(^[-+]?\d{1,18}$)");
  static const std::regex number(R"(^[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?$)");
  if (s == "true" || s == "false") return s == "true";
  if (std::regex_match(s, integer)) return std::stoll(s);
  if (std::regex_match(s, number)) return std::stod(s);
  return s;
}

}  // namespace sloth::config
