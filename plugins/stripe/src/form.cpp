#include "form.hpp"

#include <cctype>

namespace stripe {
namespace {

void Encode(const std::string& key, const nlohmann::json& v, std::string& out) {
  if (v.is_object()) {
    for (const auto& [k, child] : v.items()) {
      Encode(key.empty() ? UrlEncode(k) : key + "[" + UrlEncode(k) + "]", child, out);
    }
    return;
  }
  if (v.is_array()) {
    for (std::size_t i = 0; i < v.size(); ++i)
      Encode(key + "[" + std::to_string(i) + "]", v[i], out);
    return;
  }
  if (v.is_null()) return;
  if (!out.empty()) out += '&';
  out += key;  // components encoded, brackets kept as Stripe's own libraries send them
  out += '=';
  out += UrlEncode(v.is_string() ? v.get<std::string>() : v.dump());
}

}  // namespace

std::string UrlEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string FormEncode(const nlohmann::json& params) {
  std::string out;
  Encode("", params, out);
  return out;
}

}  // namespace stripe
