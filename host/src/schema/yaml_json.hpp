#pragma once

#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>

namespace sloth::config {

// Converts a YAML tree to JSON. Plain scalars that read as booleans, integers or numbers
// become those; quoted scalars stay strings.
nlohmann::json YamlToJson(const YAML::Node& node);

}  // namespace sloth::config
