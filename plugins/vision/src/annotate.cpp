#include "annotate.hpp"

namespace vision {

using json = nlohmann::json;

json ToAnalysis(const json& r) {
  if (!r.is_object()) throw AnnotateError(13, "the response holds no result for the image");
  if (r.contains("error") && r["error"].is_object()) {
    throw AnnotateError(r["error"].value("code", 2), r["error"].value("message", "image error"));
  }
  json out = {{"labels", json::array()}, {"text", ""}, {"objects", json::array()}, {"faces", 0}};
  for (const auto& l : r.value("labelAnnotations", json::array()))
    out["labels"].push_back(
        {{"name", l.value("description", "")}, {"score", l.value("score", 0.0)}});
  // The full text when document detection ran; else the first text annotation (whole text).
  if (r.contains("fullTextAnnotation") && r["fullTextAnnotation"].is_object()) {
    out["text"] = r["fullTextAnnotation"].value("text", "");
  } else if (r.contains("textAnnotations") && r["textAnnotations"].is_array() &&
             !r["textAnnotations"].empty()) {
    out["text"] = r["textAnnotations"][0].value("description", "");
  }
  for (const auto& o : r.value("localizedObjectAnnotations", json::array()))
    out["objects"].push_back({{"name", o.value("name", "")}, {"score", o.value("score", 0.0)}});
  out["faces"] = r.value("faceAnnotations", json::array()).size();
  return out;
}

}  // namespace vision
