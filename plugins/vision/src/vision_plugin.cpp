// Google Cloud Vision as the `vision` kind.
#include <nlohmann/json.hpp>

#include "annotate.hpp"
#include "sloth/plugin.hpp"
#include "text.hpp"

namespace vision {

using json = nlohmann::json;

class GoogleVision final : public sloth::Vision {
 public:
  explicit GoogleVision(const sloth::InstanceArgs& args) : host_(args.host) {
    const auto c = json::parse(args.config_json);
    base_ = sloth_plugins::BaseUrl(c.value("api_base", "https://vision.googleapis.com"));
    max_labels_ = c.value("max_labels", 10);
    hints_ = c.value("language_hints", json::array({"en", "uk"}));
    key_ = host_.Secret("api_key").value_or("");
    if (key_.empty())
      throw sloth::Error(sloth::Status::kInvalidArgument, "set SLOTH_PLUGIN_VISION_API_KEY");
  }

  std::string Analyze(std::string_view image, std::string_view, std::string_view) override {
    if (image.empty() || image.size() > (20u << 20))
      throw sloth::Error(sloth::Status::kInvalidArgument, "images must be 1 byte to 20 MB");
    const json body = {{"requests",
                        {{{"image", {{"content", sloth_plugins::Base64(image)}}},
                          {"features",
                           {{{"type", "LABEL_DETECTION"}, {"maxResults", max_labels_}},
                            {{"type", "DOCUMENT_TEXT_DETECTION"}},
                            {{"type", "OBJECT_LOCALIZATION"}},
                            {{"type", "FACE_DETECTION"}}}},
                          {"imageContext", {{"languageHints", hints_}}}}}}};
    sloth::HttpRequest req;
    req.method = "POST";
    req.url = base_ + "/v1/images:annotate?key=" + key_;
    req.headers = {{"Content-Type", "application/json"}};
    req.body = body.dump();
    req.timeout_ms = 60000;
    req.max_retries = 2;  // annotate has no side effects: safe to repeat on 429/5xx
    const auto resp = host_.Http(req);
    const auto j = json::parse(resp.body, nullptr, false);
    if (resp.status != 200 || !j.is_object()) {
      const json e = j.is_object() ? j.value("error", json::object()) : json::object();
      const std::string what = "vision: HTTP " + std::to_string(resp.status) + " " +
                               e.value("status", std::string()) + ": " + e.value("message", "");
      if (resp.status == 429) throw sloth::Error(sloth::Status::kRateLimited, what, 10000);
      if (resp.status == 401 || resp.status == 403)
        throw sloth::Error(sloth::Status::kUnauthenticated, what);
      if (resp.status >= 500) throw sloth::Error(sloth::Status::kUnavailable, what);
      throw sloth::Error(sloth::Status::kInvalidArgument, what);
    }
    const json responses = j.value("responses", json::array());
    try {
      return ToAnalysis(responses.empty() ? json() : responses[0]).dump();
    } catch (const AnnotateError& e) {
      // The image itself was refused (unreadable, unsupported): the caller's, not ours.
      throw sloth::Error(
          sloth::Status::kInvalidArgument,
          "vision could not read the image (code " + std::to_string(e.code()) + "): " + e.what());
    }
  }

 private:
  sloth::Host host_;
  std::string base_, key_;
  int max_labels_ = 10;
  json hints_;
};

}  // namespace vision

SLOTH_PLUGIN(vision::GoogleVision, "vision", "1.0.0")
