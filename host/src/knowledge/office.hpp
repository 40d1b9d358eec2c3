#pragma once

// DOCX and XLSX: zip archives of XML parts, read with Poco::Zip and Poco::XML. Limits
// refuse zip bombs (total and per-entry uncompressed size, compression ratio, entry count),
// XML tricks (a DOCTYPE in any encoding — Office never writes one — and nesting depth) and
// text amplification (TextBudget) before they cost memory.

#include <string>
#include <vector>

#include "knowledge/chunker.hpp"
#include "knowledge/parsers.hpp"

namespace sloth::knowledge {

// Both throw ParseError with the reason.
std::vector<Section> ParseDocx(const std::string& data, const ParseLimits& limits = {});
std::vector<Section> ParseXlsx(const std::string& data, const ParseLimits& limits = {});

}  // namespace sloth::knowledge
