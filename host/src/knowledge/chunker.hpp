#pragma once

// Splits extracted text into overlapping chunks for retrieval. Sizes count characters
// (Unicode code points); a cut prefers a paragraph break, then a line break, then a
// sentence end, then a space, in the last fifth of the window, and never falls inside a
// UTF-8 sequence. Each chunk keeps where it came from (page or sheet) and its position.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace sloth::knowledge {

struct Section {
  std::string text;
  std::string label;  // "page 3", "sheet Prices", or empty
  int page = 0;       // 1-based page or sheet number; 0 when the format has none
};

struct Chunk {
  std::string text;
  std::string label;
  int page = 0;
  int position = 0;  // order within the document
};

struct ChunkOptions {
  std::size_t size = 1000;
  std::size_t overlap = 200;
};

std::vector<Chunk> ChunkSections(const std::vector<Section>& sections, const ChunkOptions& o);

// True when `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool ValidUtf8(std::string_view s);

}  // namespace sloth::knowledge
