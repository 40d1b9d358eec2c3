// Extracted text of any bytes cut into chunks: sizes, overlaps and UTF-8 boundaries hold.
#include <cstdint>
#include <string>

#include "knowledge/chunker.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t chunk = 100 + data[0] * 4;
  const std::size_t overlap = data[1] % (chunk / 2);
  std::string text(reinterpret_cast<const char*>(data) + 2, size - 2);
  if (!sloth::knowledge::ValidUtf8(text)) return 0;  // extraction only yields UTF-8
  const auto chunks = sloth::knowledge::ChunkSections({{text, "page 1", 1}}, {chunk, overlap});
  for (const auto& c : chunks) {
    std::size_t code_points = 0;  // sizes are in characters, not bytes
    for (const char ch : c.text) code_points += (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
    if (code_points > chunk) __builtin_trap();
    if (!sloth::knowledge::ValidUtf8(c.text)) __builtin_trap();
  }
  return 0;
}
