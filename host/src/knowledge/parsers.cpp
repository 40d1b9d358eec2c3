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

std::vector<Section> ParseText(const std::string& data, const ParseLimits& limits) {
  std::string_view text = data;
  if (StartsWith(text, "\xEF\xBB\xBF")) text.remove_prefix(3);  // a BOM is not content
  if (!ValidUtf8(text))
    throw ParseError("the file is not UTF-8 text; save it as UTF-8 and upload it again");
  if (text.size() > limits.max_text_bytes)
    throw ParseError("the document holds more than " + std::to_string(limits.max_text_bytes) +
                     " bytes of text; split it into smaller files");
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
  if (doc->pages() > limits.max_pdf_pages)
    throw ParseError("the PDF has " + std::to_string(doc->pages()) + " pages; at most " +
                     std::to_string(limits.max_pdf_pages) + " are read");
  TextBudget budget(limits);
  std::vector<Section> out;
  for (int i = 0; i < doc->pages(); ++i) {
    budget.CheckTime();
    std::unique_ptr<poppler::page> page(doc->create_page(i));
    if (!page) continue;
    const auto bytes = page->text().to_utf8();
    std::string text;
    budget.Append(text, std::string_view(bytes.data(), bytes.size()));
    if (!text.empty()) out.push_back({std::move(text), "page " + std::to_string(i + 1), i + 1});
  }
  if (out.empty()) throw ParseError("the PDF has no text (a scan? upload it as a photo)");
  return out;
}

}  // namespace

TextBudget::TextBudget(const ParseLimits& limits)
    : limits_(limits), deadline_(std::chrono::steady_clock::now() + limits.time_budget) {}

void TextBudget::Append(std::string& part, std::string_view text) {
  if (part.size() + text.size() > limits_.max_part_text_bytes)
    throw ParseError("a page or part of the document holds more than " +
                     std::to_string(limits_.max_part_text_bytes) + " bytes of text");
  Count(text.size());
  part.append(text);
}

void TextBudget::Hold(std::size_t bytes) {
  Count(bytes);
}

void TextBudget::Count(std::size_t bytes) {
  total_ += bytes;
  if (total_ > limits_.max_text_bytes)
    throw ParseError("the document holds more than " + std::to_string(limits_.max_text_bytes) +
                     " bytes of text; split it into smaller files");
}

void TextBudget::CheckTime() const {
  if (std::chrono::steady_clock::now() > deadline_)
    throw ParseError("reading the document took longer than " +
                     std::to_string(limits_.time_budget.count() / 1000) +
                     " s; it may be damaged, or split it into smaller files");
}

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
  if (format == "txt" || format == "md" || format == "csv") return ParseText(data, limits);
  if (format == "pdf") return ParsePdf(data, limits);
  if (format == "docx") return ParseDocx(data, limits);
  if (format == "xlsx") return ParseXlsx(data, limits);
  throw ParseError("documents of type " + format + " cannot be read yet");
}

}  // namespace sloth::knowledge
