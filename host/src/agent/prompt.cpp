#include "agent/prompt.hpp"

#include "errors/error.hpp"
#include "sloth_text/words.hpp"

namespace sloth::agent {

using json = nlohmann::json;

namespace {

// A text field when present: a string of at most `max` characters (null clears it).
std::optional<std::string> Text(const json& body, const char* field, std::size_t max) {
  if (!body.contains(field)) return std::nullopt;
  if (body[field].is_null()) return std::string();
  if (!body[field].is_string())
    throw errors::Error::InvalidArgument(std::string(field) + " must be a string", field);
  std::string v = body[field].get<std::string>();
  if (text::Length(v) > max) {
    throw errors::Error::InvalidArgument(
        std::string(field) + " must be at most " + std::to_string(max) + " characters", field);
  }
  return v;
}

}  // namespace

json Prompt::ToJson() const {
  json j = {{"version", version},
            {"role", role},
            {"instructions", instructions},
            {"context", context},
            {"temperature", temperature},
            {"max_tokens", max_tokens},
            {"refused_topics", refused_topics}};
  j["created_at"] = created_at.empty() ? json(nullptr) : json(created_at);
  if (restored_from > 0) j["restored_from"] = restored_from;
  return j;
}

Prompt ApplyChange(Prompt p, const json& body, int model_max_tokens) {
  using errors::Error;
  if (!body.is_object()) throw Error::InvalidArgument("the prompt must be a JSON object", "prompt");
  for (const auto& [key, value] : body.items()) {
    if (key != "role" && key != "instructions" && key != "context" && key != "temperature" &&
        key != "max_tokens" && key != "refused_topics")
      throw Error::InvalidArgument("unknown field " + key, key);
  }
  if (auto v = Text(body, "role", 2000)) {
    if (v->find_first_not_of(" \t\n") == std::string::npos)
      throw Error::InvalidArgument("role must not be empty", "role");
    p.role = *v;
  }
  if (auto v = Text(body, "instructions", 20000)) p.instructions = *v;
  if (auto v = Text(body, "context", 20000)) p.context = *v;
  if (body.contains("temperature")) {
    const auto& t = body["temperature"];
    if (!t.is_number() || t.get<double>() < 0 || t.get<double>() > 2)
      throw Error::InvalidArgument("temperature must be a number from 0 to 2", "temperature");
    p.temperature = t.get<double>();
  }
  if (body.contains("max_tokens")) {
    const auto& m = body["max_tokens"];
    if (!m.is_number_integer() || m.get<std::int64_t>() < 1 ||
        m.get<std::int64_t>() > model_max_tokens) {
      throw Error::InvalidArgument("max_tokens must be an integer from 1 to " +
                                       std::to_string(model_max_tokens) + " (the model's limit)",
                                   "max_tokens");
    }
    p.max_tokens = m.get<int>();
  }
  if (body.contains("refused_topics")) {
    const auto& t = body["refused_topics"];
    if (!t.is_array() || t.size() > 100)
      throw Error::InvalidArgument("refused_topics must be a list of at most 100 topics",
                                   "refused_topics");
    p.refused_topics.clear();
    for (const auto& topic : t) {
      if (!topic.is_string() || topic.get<std::string>().empty() ||
          topic.get<std::string>().size() > 100)
        throw Error::InvalidArgument("each refused topic is a text of 1..100 characters",
                                     "refused_topics");
      p.refused_topics.push_back(topic.get<std::string>());
    }
  }
  return p;
}

}  // namespace sloth::agent
