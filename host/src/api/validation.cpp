#include "api/validation.hpp"

#include <regex>

#include "errors/error.hpp"

namespace sloth::api {
namespace {

std::size_t Utf8Length(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

}  // namespace

void OnlyFields(const nlohmann::json& body, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : body.items()) {
    bool ok = false;
    for (const char* a : allowed) ok = ok || key == a;
    if (!ok)
      throw errors::Error(errors::Code::kInvalidArgument,
                          "field '" + key + "' is not accepted here", key,
                          {{"reason", "unknown_field"}});
  }
}

std::string RequiredString(const nlohmann::json& body, const char* field, std::size_t max) {
  if (!body.contains(field) || body[field].is_null()) {
    throw errors::Error(errors::Code::kInvalidArgument, std::string(field) + " is required", field);
  }
  if (!body[field].is_string()) {
    throw errors::Error(errors::Code::kInvalidArgument, std::string(field) + " must be a string",
                        field);
  }
  const std::string v = Trim(body[field].get<std::string>());
  if (v.empty())
    throw errors::Error(errors::Code::kInvalidArgument, std::string(field) + " must not be empty",
                        field);
  if (Utf8Length(v) > max) {
    throw errors::Error(
        errors::Code::kInvalidArgument,
        std::string(field) + " must be at most " + std::to_string(max) + " characters", field);
  }
  return v;
}

std::optional<std::string> OptionalString(const nlohmann::json& body, const char* field,
                                          std::size_t max) {
  if (!body.contains(field)) return std::nullopt;
  if (body[field].is_null()) return std::string();
  if (!body[field].is_string()) {
    throw errors::Error(errors::Code::kInvalidArgument, std::string(field) + " must be a string",
                        field);
  }
  const std::string v = Trim(body[field].get<std::string>());
  if (Utf8Length(v) > max) {
    throw errors::Error(
        errors::Code::kInvalidArgument,
        std::string(field) + " must be at most " + std::to_string(max) + " characters", field);
  }
  return v;
}

bool IsEmail(const std::string& s) {
  // Pragmatic RFC 5321 shape: local@domain.tld, no spaces, one @, a dot in the domain.
  static const std::regex re(
      R"(^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$)");
  return s.size() <= 254 && std::regex_match(s, re);
}

std::string RequiredEmail(const nlohmann::json& body, const char* field) {
  const std::string v = RequiredString(body, field, 254);
  if (!IsEmail(v))
    throw errors::Error(errors::Code::kInvalidArgument,
                        std::string(field) + " is not a valid email address", field);
  return v;
}

std::int64_t IdParam(const std::string& value, const std::string& what) {
  std::size_t pos = 0;
  std::int64_t id = 0;
  try {
    id = std::stoll(value, &pos);
  } catch (const std::exception&) {
    pos = 0;
  }
  if (pos == 0 || pos != value.size() || id <= 0)
    throw errors::Error(errors::Code::kNotFound, what);
  return id;
}

Page ReadPage(const std::optional<std::string>& limit, const std::optional<std::string>& cursor,
              int def, int max) {
  Page p{def, 0};
  try {
    if (limit) {
      std::size_t pos = 0;
      p.limit = std::stoi(*limit, &pos);
      if (pos != limit->size()) throw std::invalid_argument("limit");
    }
  } catch (const std::exception&) {
    throw errors::Error(errors::Code::kInvalidArgument, "limit must be an integer", "limit");
  }
  if (p.limit < 1 || p.limit > max) {
    throw errors::Error(errors::Code::kInvalidArgument,
                        "limit must be between 1 and " + std::to_string(max), "limit");
  }
  if (cursor && !cursor->empty()) {
    try {
      std::size_t pos = 0;
      p.after = std::stoll(*cursor, &pos);
      if (pos != cursor->size() || p.after < 0) throw std::invalid_argument("cursor");
    } catch (const std::exception&) {
      throw errors::Error(errors::Code::kInvalidArgument, "cursor is not valid", "cursor");
    }
  }
  return p;
}

}  // namespace sloth::api
