#include "knowledge/parsers.hpp"

#include "knowledge/office.hpp"

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-page.h>

#include <algorithm>
#include <memory>

namespace sloth::knowledge {
namespace {

bool StartsWith(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.substr(0, p.size()) == p;
}

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::vector<Section> ParseText(const std::string& data) {
  std::string_view text = data;
  if (StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);  // a BOM is not content
  if (!ValidUtf8(text))
    throw ParseError("the file is not UTF-8 text; save it as UTF-8 and upload it again");
  return {{std::string(text), "", 0}};
}

std::vector<Section> ParsePdf(const std::string& data, const ParseLimits& limits) {
  // Poppler reports damage on stderr; the document's status carries the outcome instead.
  static const bool quiet = [] {
    poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr);
    return true;
  }();
  (void)quiet;
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(data.data(), static_cast<int>(data.size())));
  if (!doc) throw ParseError("the PDF is damaged or truncated");
  if (doc->is_locked()) throw ParseError("the PDF is password-protected");
  std::vector<Section> out;
  std::size_t total = 0;
  for (int i = 0; i < doc->pages(); ++i) {
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    if (!page) continue;
    const auto bytes = page->text().to_utf8();
    std::string text(bytes.begin(), bytes.end());
    total += text.size();
    if (total > limits.max_text_bytes) throw ParseError("the PDF holds more text than allowed");
    if (!text.empty()) out.push_back({std::move(text), "page " + std::to_string(i + 1), i + 1});
  }
  if (out.empty()) throw ParseError("the PDF has no text (a scan? upload it as a photo)");
  return out;
}

}  // namespace

std::string DetectFormat(std::string_view head, std::string_view filename) {
  if (StartsWith(head, "%PDF-")) return "pdf";
  if (StartsWith(head, "\xFF\xD8\xFF")) return "jpeg";
  if (StartsWith(head, "\x89PNG\r\n\x1A\n")) return "png";
  if (head.size() >= 12 && StartsWith(head, "RIFF") && head.substr(8, 4) == "WEBP") return "webp";
  if (StartsWith(head, "PK\x03\x04")) {
    // An Office file is a zip whose entries name its kind; the first entries say which.
    if (head.find("word/") != std::string_view::npos) return "docx";
    if (head.find("xl/") != std::string_view::npos) return "xlsx";
    const std::string name = Lower(std::string(filename));
    if (name.size() > 5 && name.substr(name.size() - 5) == ".docx") return "docx";
    if (name.size() > 5 && name.substr(name.size() - 5) == ".xlsx") return "xlsx";
    return "";
  }
  if (head.find('\0') != std::string_view::npos) return "";  // binary of some other kind
  const std::string name = Lower(std::string(filename));
  auto ends = [&](std::string_view ext) {
    return name.size() > ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (ends(".md") || ends(".markdown")) return "md";
  if (ends(".csv")) return "csv";
  return "txt";
}

std::vector<Section> Parse(const std::string& format, const std::string& data,
                           const ParseLimits& limits) {
  if (format == "txt" || format == "md" || format == "csv") return ParseText(data);
  if (format == "pdf") return ParsePdf(data, limits);
  if (format == "docx") return ParseDocx(data);
  if (format == "xlsx") return ParseXlsx(data);
  throw ParseError("documents of type " + format + " cannot be read yet");
}

}  // namespace sloth::knowledge
