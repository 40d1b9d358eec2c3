#include "schema/schema.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

namespace sloth::config {
namespace {

using Lookup = std::function<std::optional<std::string>(const std::string&)>;

const char* TypeName(Type t) {
  switch (t) {
    case Type::kString:
      return "a string";
    case Type::kInteger:
      return "an integer";
    case Type::kBoolean:
      return "a boolean (true/false)";
    case Type::kNumber:
      return "a number";
    case Type::kStringList:
      return "a list of strings";
    case Type::kMap:
      return "a mapping";
  }
  return "?";
}

std::string Where(const std::string& file, const YAML::Mark& mark) {
  if (mark.line < 0) return file;
  return file + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

bool ParseInteger(const std::string& s, std::int64_t& out) {
  if (s.empty()) return false;
  std::size_t pos = 0;
  try {
    out = std::stoll(s, &pos, 10);
  } catch (...) {
    return false;
  }
  return pos == s.size();
}

bool ParseBoolean(const std::string& s, bool& out) {
  std::string l(s);
  std::transform(l.begin(), l.end(), l.begin(), [](unsigned char c) { return std::tolower(c); });
  if (l == "true" || l == "yes" || l == "on" || l == "1") {
    out = true;
    return true;
  }
  if (l == "false" || l == "no" || l == "off" || l == "0") {
    out = false;
    return true;
  }
  return false;
}

bool ParseNumber(const std::string& s, double& out) {
  if (s.empty()) return false;
  std::size_t pos = 0;
  try {
    out = std::stod(s, &pos);
  } catch (...) {
    return false;
  }
  return pos == s.size();
}

class Resolver {
 public:
  Resolver(std::string file, Lookup lookup, std::string prefix)
      : file_(std::move(file)), lookup_(std::move(lookup)), prefix_(std::move(prefix)) {}

  YAML::Node Map(const YAML::Node& node, const std::vector<Field>& fields, const std::string& path,
                 const YAML::Mark& parent_mark) {
    YAML::Node out(YAML::NodeType::Map);
    if (node && !node.IsNull() && !node.IsMap()) {
      Fail(node.Mark(), path, "expected a mapping");
    }
    std::set<std::string> known;
    for (const auto& f : fields) known.insert(f.name);
    if (node && node.IsMap()) {
      for (const auto& kv : node) {
        const auto key = KeyOf(kv.first, path);
        if (!known.count(key)) {
          Fail(kv.first.Mark(), Join(path, key), "unknown key" + Suggest(key, fields));
        }
      }
    }
    for (const auto& f : fields) {
      const std::string key_path = Join(path, f.name);
      YAML::Node child = (node && node.IsMap()) ? node[f.name] : YAML::Node();
      const YAML::Mark mark = (node && node.IsMap() && child) ? child.Mark() : parent_mark;
      out[f.name] = Value(child, f, key_path, mark);
    }
    return out;
  }

 private:
  // YAML allows a mapping or a list as a key ("? [a, b]: 1", or a flow mapping on its own
  // line); a config key is always a name.
  std::string KeyOf(const YAML::Node& key, const std::string& path) {
    if (!key.IsScalar()) {
      const char* got = key.IsMap() ? "a mapping" : key.IsSequence() ? "a list" : "nothing";
      const std::string what = std::string("expected a name as the key, got ") + got;
      if (path.empty()) throw ConfigError(Where(file_, key.Mark()) + ": at the top level: " + what);
      Fail(key.Mark(), path, what);
    }
    return key.Scalar();
  }

  YAML::Node Value(const YAML::Node& given, const Field& f, const std::string& path,
                   const YAML::Mark& mark) {
    if (f.type == Type::kMap) {
      if (f.open) return OpenMap(given, f, path, mark);
      return Map(given, f.children, path, mark);
    }
    // An environment override wins over the file for leaves.
    if (!prefix_.empty()) {
      const std::string env = EnvNameFor(prefix_, path);
      if (auto v = lookup_(env)) return Scalar(*v, f, path, "environment variable " + env, mark);
    }
    if (!given || given.IsNull()) {
      if (f.default_value) {
        if (f.type == Type::kStringList) return YAML::Load(*f.default_value);
        return Scalar(*f.default_value, f, path, "default", mark);
      }
      if (f.required) Fail(mark, path, "missing required key '" + path + "'");
      return YAML::Node();
    }
    if (f.type == Type::kStringList) {
      if (!given.IsSequence())
        Fail(given.Mark(), path, std::string("expected ") + TypeName(f.type));
      YAML::Node list(YAML::NodeType::Sequence);
      for (const auto& item : given) {
        if (!item.IsScalar()) Fail(item.Mark(), path, "expected a string in the list");
        list.push_back(
            Interpolate(item.Scalar(), lookup_, Where(file_, item.Mark()) + ": " + path));
      }
      return list;
    }
    if (!given.IsScalar()) {
      Fail(given.Mark(), path, std::string("expected ") + TypeName(f.type));
    }
    const std::string where = Where(file_, given.Mark()) + ": " + path;
    return Scalar(Interpolate(given.Scalar(), lookup_, where), f, path, "", given.Mark());
  }

  YAML::Node OpenMap(const YAML::Node& given, const Field& f, const std::string& path,
                     const YAML::Mark&) {
    YAML::Node out(YAML::NodeType::Map);
    if (!given || given.IsNull()) return out;
    if (!given.IsMap()) Fail(given.Mark(), path, "expected a mapping");
    for (const auto& kv : given) {
      const auto key = KeyOf(kv.first, path);
      if (f.children.empty()) {
        out[key] = Interpolated(kv.second, Join(path, key));
      } else {
        out[key] = Map(kv.second, f.children, Join(path, key), kv.first.Mark());
      }
    }
    return out;
  }

  // Free-form subtree: interpolate scalars, keep the shape.
  YAML::Node Interpolated(const YAML::Node& n, const std::string& path) {
    if (n.IsScalar()) {
      return YAML::Node(Interpolate(n.Scalar(), lookup_, Where(file_, n.Mark()) + ": " + path));
    }
    if (n.IsSequence()) {
      YAML::Node out(YAML::NodeType::Sequence);
      for (const auto& item : n) out.push_back(Interpolated(item, path));
      return out;
    }
    if (n.IsMap()) {
      YAML::Node out(YAML::NodeType::Map);
      for (const auto& kv : n) {
        const auto key = KeyOf(kv.first, path);
        out[key] = Interpolated(kv.second, Join(path, key));
      }
      return out;
    }
    return YAML::Node();
  }

  YAML::Node Scalar(const std::string& text, const Field& f, const std::string& path,
                    const std::string& source, const YAML::Mark& mark) {
    const std::string shown = f.secret ? std::string("<secret>") : "\"" + text + "\"";
    auto bad = [&](const std::string& what) {
      std::string msg = "expected " + what + ", got " + shown;
      if (!source.empty()) msg += " (from " + source + ")";
      Fail(mark, path, msg);
    };
    switch (f.type) {
      case Type::kInteger: {
        std::int64_t v = 0;
        if (!ParseInteger(text, v)) bad(TypeName(f.type));
        if ((f.min && v < *f.min) || (f.max && v > *f.max)) {
          std::ostringstream os;
          os << "an integer";
          if (f.min) os << " >= " << *f.min;
          if (f.min && f.max) os << " and";
          if (f.max) os << " <= " << *f.max;
          bad(os.str());
        }
        return YAML::Node(v);
      }
      case Type::kBoolean: {
        bool v = false;
        if (!ParseBoolean(text, v)) bad(TypeName(f.type));
        return YAML::Node(v);
      }
      case Type::kNumber: {
        double v = 0;
        if (!ParseNumber(text, v)) bad(TypeName(f.type));
        return YAML::Node(v);
      }
      case Type::kString:
        if (!f.allowed.empty() &&
            std::find(f.allowed.begin(), f.allowed.end(), text) == f.allowed.end()) {
          std::string list;
          for (const auto& a : f.allowed) list += (list.empty() ? "" : ", ") + a;
          bad("one of [" + list + "]");
        }
        if (f.required && text.empty()) Fail(mark, path, "must not be empty");
        return YAML::Node(text);
      default:
        bad(TypeName(f.type));
    }
    return YAML::Node();
  }

  static std::string Suggest(const std::string& key, const std::vector<Field>& fields) {
    // Levenshtein distance <= 2 catches the usual typos (prot/port, levle/level).
    auto distance = [](const std::string& a, const std::string& b) {
      std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
      for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
      for (std::size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
          cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
        }
        std::swap(prev, cur);
      }
      return prev[b.size()];
    };
    for (const auto& f : fields) {
      if (distance(key, f.name) <= 2) return " (did you mean '" + f.name + "'?)";
    }
    return "";
  }

  static std::string Join(const std::string& a, const std::string& b) {
    return a.empty() ? b : a + "." + b;
  }

  [[noreturn]] void Fail(const YAML::Mark& mark, const std::string& path, const std::string& msg) {
    throw ConfigError(Where(file_, mark) + ": key '" + path + "': " + msg);
  }

  std::string file_;
  Lookup lookup_;
  std::string prefix_;
};

}  // namespace

std::string EnvNameFor(const std::string& env_prefix, const std::string& dotted_key) {
  std::string out = env_prefix;
  for (char c : dotted_key) {
    out += (c == '.' || c == '-') ? '_'
                                  : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string Interpolate(const std::string& text, const Lookup& lookup, const std::string& where) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text.compare(i, 3, "$${") == 0) {
      out += "${";
      i += 3;
      continue;
    }
    if (text.compare(i, 2, "${") != 0) {
      out += text[i++];
      continue;
    }
    const auto close = text.find('}', i + 2);
    if (close == std::string::npos) {
      throw ConfigError(where + ": unterminated environment reference '" + text.substr(i) + "'");
    }
    const std::string body = text.substr(i + 2, close - i - 2);
    std::string name = body;
    std::optional<std::string> fallback;
    if (const auto sep = body.find(":-"); sep != std::string::npos) {
      name = body.substr(0, sep);
      fallback = body.substr(sep + 2);
    }
    const bool valid = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                       std::all_of(name.begin(), name.end(),
                                   [](unsigned char c) { return std::isalnum(c) || c == '_'; });
    if (!valid) {
      throw ConfigError(where + ": bad environment reference '${" + body +
                        "}': a name is letters, digits and '_'");
    }
    if (auto v = lookup(name)) {
      out += *v;
    } else if (fallback) {
      out += *fallback;
    } else {
      throw ConfigError(where + ": environment variable '" + name + "' is not set (write ${" +
                        name + ":-default} to give a default)");
    }
    i = close + 1;
  }
  return out;
}

YAML::Node Resolve(const YAML::Node& root, const std::vector<Field>& schema,
                   const std::string& file, const Lookup& lookup, const std::string& env_prefix) {
  Resolver r(file, lookup, env_prefix);
  return r.Map(root, schema, "", root ? root.Mark() : YAML::Mark::null_mark());
}

Field Str(std::string name, std::optional<std::string> def, std::string doc,
          std::vector<std::string> allowed) {
  Field f;
  f.name = std::move(name);
  f.type = Type::kString;
  f.default_value = std::move(def);
  f.description = std::move(doc);
  f.allowed = std::move(allowed);
  return f;
}

Field Int(std::string name, std::int64_t def, std::int64_t min, std::int64_t max, std::string doc) {
  Field f;
  f.name = std::move(name);
  f.type = Type::kInteger;
  f.default_value = std::to_string(def);
  f.min = min;
  f.max = max;
  f.description = std::move(doc);
  return f;
}

Field Bool(std::string name, bool def, std::string doc) {
  Field f;
  f.name = std::move(name);
  f.type = Type::kBoolean;
  f.default_value = def ? "true" : "false";
  f.description = std::move(doc);
  return f;
}

Field Section(std::string name, std::vector<Field> children, std::string doc) {
  Field f;
  f.name = std::move(name);
  f.type = Type::kMap;
  f.children = std::move(children);
  f.description = std::move(doc);
  return f;
}

Field List(std::string name, std::string def, std::string doc) {
  Field f;
  f.name = std::move(name);
  f.type = Type::kStringList;
  f.default_value = std::move(def);
  f.description = std::move(doc);
  return f;
}

Field Open(std::string name, std::string doc) {
  Field f;
  f.name = std::move(name);
  f.type = Type::kMap;
  f.open = true;
  f.description = std::move(doc);
  return f;
}

}  // namespace sloth::config
