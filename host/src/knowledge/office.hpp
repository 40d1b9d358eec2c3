#pragma once

// DOCX and XLSX: zip archives of XML parts, read with Poco::Zip and Poco::XML. Limits
// refuse zip bombs (total and per-entry uncompressed size, compression ratio, entry count)
// and XML tricks (any DOCTYPE or entity declaration — Office never writes one — and
// nesting depth) before they cost memory.

#include <string>
#include <vector>

#include "knowledge/chunker.hpp"

namespace sloth::knowledge {

struct OfficeLimits {
  std::size_t max_entries = 5000;
  std::size_t max_entry_bytes = 50u << 20;
  std::size_t max_total_bytes = 100u << 20;
  std::size_t max_ratio = 200;  // uncompressed / compressed, per entry
  int max_depth = 256;
};

// Both throw ParseError with the reason.
std::vector<Section> ParseDocx(const std::string& data, const OfficeLimits& limits = {});
std::vector<Section> ParseXlsx(const std::string& data, const OfficeLimits& limits = {});

}  // namespace sloth::knowledge
