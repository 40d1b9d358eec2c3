// Uploaded documents: the format decided from the bytes, then DOCX, XLSX, PDF or text
// extraction under small limits (the first byte picks the format when detection finds none).
#include <cstdint>
#include <string>

#include "knowledge/parsers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string format = sloth::knowledge::DetectFormat(bytes.substr(0, 512), "upload.txt");
  static const char* formats[] = {"docx", "xlsx", "pdf", "txt"};
  if (format.empty() || format == "jpeg" || format == "png" || format == "webp")
    format = formats[data[0] % 4];
  sloth::knowledge::ParseLimits limits;
  limits.max_text_bytes = 1 << 20;
  limits.max_part_text_bytes = 256 << 10;
  limits.max_pdf_pages = 50;
  limits.max_entry_bytes = 8 << 20;
  limits.max_total_bytes = 16 << 20;
  try {
    (void)sloth::knowledge::Parse(format, bytes, limits);
  } catch (const sloth::knowledge::ParseError&) {
    // the document fails with its reason
  }
  return 0;
}
