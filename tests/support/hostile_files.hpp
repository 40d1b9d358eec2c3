#pragma once

// Files built to cost a parser more than their size: the amplification cases of the
// ingestion limits, shared by the unit tests, the memory benchmark and the fuzz seeds.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace sloth::testing {

// A zip archive (deflated entries) of (name, content).
std::string ZipOf(const std::vector<std::pair<std::string, std::string>>& entries);

// An XLSX whose one shared string of `string_bytes` is referenced by `cells` cells: the
// file stays a few kilobytes while its text is string_bytes * cells.
std::string XlsxAmplification(std::size_t string_bytes, std::size_t cells);

// A DOCX whose document.xml holds about `text_bytes` of varied words (compressing a few
// times over, so the zip's ratio limit lets it through).
std::string DocxAmplification(std::size_t text_bytes);

// A PDF of one page whose deflated content stream shows `text_bytes` of text.
std::string PdfAmplification(std::size_t text_bytes);

// A PDF of `pages` pages, each showing `text`.
std::string PdfPages(int pages, const std::string& text);

// `xml` (ASCII) re-encoded as UTF-16LE with a byte order mark.
std::string Utf16(const std::string& xml);

}  // namespace sloth::testing
