#include "plugins/json_schema.hpp"

#include <regex>
#include <set>

namespace sloth::plugins {
namespace {

using json = nlohmann::json;

const std::set<std::string>& Keywords() {
  static const std::set<std::string> k = {
      "type",    "properties", "required",    "additionalProperties",
      "enum",    "const",      "minLength",   "maxLength",
      "pattern", "format",     "minimum",     "maximum",
      "items",   "minItems",   "maxItems",    "default",
      "secret",  "title",      "description", "examples",
      "$schema", "writeOnly",  "readOnly",    "$comment"};
  return k;
}

std::string EscapePointer(const std::string& key) {
  std::string out;
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

bool TypeMatches(const std::string& type, const json& v) {
  if (type == "string") return v.is_string();
  if (type == "integer") return v.is_number_integer() || v.is_number_unsigned();
  if (type == "number") return v.is_number();
  if (type == "boolean") return v.is_boolean();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "null") return v.is_null();
  return false;
}

std::size_t Utf8Length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

std::optional<std::string> Check(const json& s, const std::string& path) {
  if (!s.is_object()) return path + ": a schema must be an object";
  for (const auto& [k, v] : s.items()) {
    if (!Keywords().count(k)) return path + ": unsupported schema keyword '" + k + "'";
  }
  if (s.contains("type")) {
    const auto& t = s["type"];
    auto ok = [](const json& x) {
      return x.is_string() && (x == "string" || x == "integer" || x == "number" || x == "boolean" ||
                               x == "object" || x == "array" || x == "null");
    };
    if (t.is_array()) {
      for (const auto& x : t) {
        if (!ok(x)) return path + ": bad type " + x.dump();
      }
    } else if (!ok(t)) {
      return path + ": bad type " + t.dump();
    }
  }
  if (s.contains("properties")) {
    if (!s["properties"].is_object()) return path + ": properties must be an object";
    for (const auto& [k, v] : s["properties"].items()) {
      if (auto e = Check(v, path + "/properties/" + EscapePointer(k))) return e;
    }
  }
  if (s.contains("required")) {
    if (!s["required"].is_array()) return path + ": required must be an array";
    for (const auto& r : s["required"]) {
      if (!r.is_string()) return path + ": required holds strings";
    }
  }
  if (s.contains("additionalProperties") && !s["additionalProperties"].is_boolean()) {
    return path + ": additionalProperties must be a boolean here";
  }
  if (s.contains("enum") && !s["enum"].is_array()) return path + ": enum must be an array";
  if (s.contains("items")) {
    if (auto e = Check(s["items"], path + "/items")) return e;
  }
  if (s.contains("pattern")) {
    if (!s["pattern"].is_string()) return path + ": pattern must be a string";
    try {
      std::regex re(s["pattern"].get<std::string>(), std::regex::ECMAScript);
    } catch (const std::regex_error&) {
      return path + ": pattern is not a valid regular expression";
    }
  }
  if (s.contains("format") && s["format"] != "uri" && s["format"] != "email") {
    return path + ": format must be \"uri\" or \"email\"";
  }
  for (const char* k : {"minLength", "maxLength", "minItems", "maxItems"}) {
    if (s.contains(k) && !s[k].is_number_unsigned()) {
      return path + ": " + k + " must be a non-negative integer";
    }
  }
  for (const char* k : {"minimum", "maximum"}) {
    if (s.contains(k) && !s[k].is_number()) return path + ": " + k + " must be a number";
  }
  if (s.contains("secret") && !s["secret"].is_boolean()) return path + ": secret must be a boolean";
  return std::nullopt;
}

std::optional<SchemaViolation> Walk(const json& s, json& v, const std::string& path) {
  auto fail = [&](const std::string& m) { return SchemaViolation{path, m}; };
  if (s.contains("type")) {
    const auto& t = s["type"];
    bool ok = false;
    std::string names;
    if (t.is_array()) {
      for (const auto& x : t) {
        ok = ok || TypeMatches(x.get<std::string>(), v);
        names += (names.empty() ? "" : " or ") + x.get<std::string>();
      }
    } else {
      ok = TypeMatches(t.get<std::string>(), v);
      names = t.get<std::string>();
    }
    if (!ok) return fail("must be of type " + names);
  }
  if (s.contains("const") && v != s["const"]) return fail("must equal " + s["const"].dump());
  if (s.contains("enum")) {
    bool found = false;
    for (const auto& e : s["enum"]) found = found || e == v;
    if (!found) return fail("must be one of " + s["enum"].dump());
  }
  if (v.is_string()) {
    const auto& str = v.get_ref<const std::string&>();
    const auto len = Utf8Length(str);
    if (s.contains("minLength") && len < s["minLength"].get<std::size_t>()) {
      return fail("must be at least " + s["minLength"].dump() + " characters");
    }
    if (s.contains("maxLength") && len > s["maxLength"].get<std::size_t>()) {
      return fail("must be at most " + s["maxLength"].dump() + " characters");
    }
    if (s.contains("pattern")) {
      const std::regex re(s["pattern"].get<std::string>(), std::regex::ECMAScript);
      if (!std::regex_search(str, re)) return fail("must match " + s["pattern"].dump());
    }
    if (s.value("format", "") == "uri") {
      static const std::regex uri(R"(^https?://[^\s/?#]+([/?#][^\s]*)?$)", std::regex::icase);
      if (!std::regex_match(str, uri)) return fail("must be an http(s) URL");
    }
    if (s.value("format", "") == "email") {
      static const std::regex email(R"(^[^\s@]+@[^\s@]+\.[^\s@]+$)");
      if (!std::regex_match(str, email)) return fail("must be an email address");
    }
  }
  if (v.is_number()) {
    const double d = v.get<double>();
    if (s.contains("minimum") && d < s["minimum"].get<double>()) {
      return fail("must be >= " + s["minimum"].dump());
    }
    if (s.contains("maximum") && d > s["maximum"].get<double>()) {
      return fail("must be <= " + s["maximum"].dump());
    }
  }
  if (v.is_array()) {
    if (s.contains("minItems") && v.size() < s["minItems"].get<std::size_t>()) {
      return fail("must have at least " + s["minItems"].dump() + " items");
    }
    if (s.contains("maxItems") && v.size() > s["maxItems"].get<std::size_t>()) {
      return fail("must have at most " + s["maxItems"].dump() + " items");
    }
    if (s.contains("items")) {
      for (std::size_t i = 0; i < v.size(); ++i) {
        if (auto e = Walk(s["items"], v[i], path + "/" + std::to_string(i))) return e;
      }
    }
  }
  if (v.is_object()) {
    const json empty = json::object();
    const json& props = s.contains("properties") ? s["properties"] : empty;
    if (s.contains("required")) {
      for (const auto& r : s["required"]) {
        const auto name = r.get<std::string>();
        if (!v.contains(name) && !(props.contains(name) && props[name].contains("default"))) {
          return SchemaViolation{path + "/" + EscapePointer(name), "is required"};
        }
      }
    }
    if (!s.value("additionalProperties", true)) {
      for (const auto& [k, x] : v.items()) {
        if (!props.contains(k)) {
          return SchemaViolation{path + "/" + EscapePointer(k), "is not a known property"};
        }
      }
    }
    for (const auto& [k, ps] : props.items()) {
      if (!v.contains(k)) {
        if (ps.contains("default")) v[k] = ps["default"];
        continue;
      }
      if (auto e = Walk(ps, v[k], path + "/" + EscapePointer(k))) return e;
    }
  }
  return std::nullopt;
}

void CollectSecrets(const json& s, const std::string& path, std::vector<std::string>& out) {
  if (!s.is_object()) return;
  if (s.value("secret", false)) out.push_back(path);
  if (s.contains("properties") && s["properties"].is_object()) {
    for (const auto& [k, v] : s["properties"].items()) {
      CollectSecrets(v, path + "/" + EscapePointer(k), out);
    }
  }
}

}  // namespace

std::optional<std::string> CheckSchema(const json& schema) {
  return Check(schema, "#");
}

std::optional<SchemaViolation> Validate(const json& schema, json& value) {
  return Walk(schema, value, "");
}

std::vector<std::string> SecretPaths(const json& schema) {
  std::vector<std::string> out;
  CollectSecrets(schema, "", out);
  return out;
}

}  // namespace sloth::plugins
