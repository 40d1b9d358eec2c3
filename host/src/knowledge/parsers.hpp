#pragma once

// What an upload is (by its bytes, never its name) and its text. Each parser throws
// ParseError with a reason a salon owner can act on; nothing else fails with it.

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

struct ParseLimits {
  std::size_t max_text_bytes = 20u << 20;  // extracted text
};

std::vector<Section> Parse(const std::string& format, const std::string& data,
                           const ParseLimits& limits = {});

}  // namespace sloth::knowledge
