#pragma once

// What an upload is (by its bytes, never its name) and its text. Each parser throws
// ParseError with a reason a salon owner can act on; nothing else fails with it.

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "knowledge/chunker.hpp"

namespace sloth::knowledge {

class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "pdf", "docx", "xlsx", "jpeg", "png", "webp", "txt", "md", "csv", or "" (unsupported).
// Text formats must be UTF-8; `filename` only tells text formats apart (md, csv, txt).
std::string DetectFormat(std::string_view head, std::string_view filename);

// What one document may cost. Text is what extraction builds (a few kilobytes of XLSX can
// reference one long shared string from every cell), so it is capped as it grows, not after.
struct ParseLimits {
  std::size_t max_text_bytes = 8u << 20;       // extracted text, the whole document
  std::size_t max_part_text_bytes = 2u << 20;  // one page, sheet or part
  int max_pdf_pages = 2000;
  std::chrono::milliseconds time_budget{60000};  // checked between elements and pages
  // Office files are zips of XML: inflated bytes are counted as they come out.
  std::size_t max_entries = 5000;
  std::size_t max_entry_bytes = 50u << 20;
  std::size_t max_total_bytes = 100u << 20;
  std::size_t max_ratio = 200;  // uncompressed / compressed, per entry, past the first MiB
  int max_depth = 256;
};

// Counts extracted text against ParseLimits and the clock, throwing ParseError with the
// limit that was reached.
class TextBudget {
 public:
  explicit TextBudget(const ParseLimits& limits);
  // Appends to `part`, the text of the current part (its size is the part's count).
  void Append(std::string& part, std::string_view text);
  // Counts text held outside a part (XLSX shared strings) against the document's total.
  void Hold(std::size_t bytes);
  void CheckTime() const;
  const ParseLimits& limits() const { return limits_; }

 private:
  void Count(std::size_t bytes);
  ParseLimits limits_;
  std::size_t total_ = 0;
  std::chrono::steady_clock::time_point deadline_;
};

std::vector<Section> Parse(const std::string& format, const std::string& data,
                           const ParseLimits& limits = {});

}  // namespace sloth::knowledge
