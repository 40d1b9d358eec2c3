#include "fakes/fake_vision.hpp"

#include <sodium.h>

#include <nlohmann/json.hpp>

namespace sloth::fakes {
namespace {

using json = nlohmann::json;

FakeResponse RequestError(int http, const std::string& status, const std::string& message) {
  return FakeResponse::Json(
      http, json{{"error", {{"code", http}, {"message", message}, {"status", status}}}}.dump());
}

}  // namespace

FakeVision::FakeVision(std::string key)
    : key_(std::move(key)), server_([this](const FakeRequest& r) { return Handle(r); }) {}

FakeResponse FakeVision::Handle(const FakeRequest& r) {
  if (r.method != "POST" || r.path != "/v1/images:annotate")
    return RequestError(404, "NOT_FOUND", "Method not found.");
  const auto form = ParseForm(r.query);
  if (!form.count("key") || form.at("key") != key_)
    return RequestError(403, "PERMISSION_DENIED", "The request is missing a valid API key.");
  const auto body = json::parse(r.body, nullptr, false);
  if (!body.is_object() || !body.value("requests", json()).is_array())
    return RequestError(400, "INVALID_ARGUMENT", "Invalid JSON payload received.");
  json responses = json::array();
  for (const auto& req : body["requests"]) {
    const std::string b64 = req.value("image", json::object()).value("content", "");
    std::string bytes(b64.size(), '\0');
    std::size_t len = 0;
    sodium_base642bin(reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), b64.data(),
                      b64.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL);
    bytes.resize(len);
    if (bytes.find("unreadable") != std::string::npos) {
      responses.push_back({{"error", {{"code", 3}, {"message", "Bad image data."}}}});
      continue;
    }
    responses.push_back(
        {{"labelAnnotations",
          {{{"mid", "/m/0fx9l"},
            {"description", "Nail polish"},
            {"score", 0.97},
            {"topicality", 0.97}},
           {{"mid", "/m/01k5zr"},
            {"description", "Manicure"},
            {"score", 0.93},
            {"topicality", 0.93}}}},
         {"textAnnotations", {{{"locale", "en"}, {"description", "SPRING SALE -20%\n"}}}},
         {"fullTextAnnotation", {{"text", "SPRING SALE -20%\n"}, {"pages", json::array()}}},
         {"localizedObjectAnnotations",
          {{{"mid", "/m/0k65p"},
            {"name", "Hand"},
            {"score", 0.88},
            {"boundingPoly",
             {{"normalizedVertices", {{{"y", 0.1}}, {{"x", 0.9}, {"y", 0.1}}}}}}}}}});
  }
  return FakeResponse::Json(200, json{{"responses", responses}}.dump());
}

}  // namespace sloth::fakes
