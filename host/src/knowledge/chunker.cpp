#include "knowledge/chunker.hpp"

#include <algorithm>
#include <cstdint>

namespace sloth::knowledge {
namespace {

// Byte offsets of every code point start in `s`, plus s.size().
std::vector<std::size_t> CodePoints(std::string_view s) {
  std::vector<std::size_t> b;
  b.reserve(s.size() + 1);
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) b.push_back(i);
  }
  b.push_back(s.size());
  return b;
}

std::string Trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return "";
  const auto last = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(first, last - first + 1));
}

}  // namespace

bool ValidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

std::vector<Chunk> ChunkSections(const std::vector<Section>& sections, const ChunkOptions& o) {
  const std::size_t size = std::max<std::size_t>(o.size, 50);
  const std::size_t overlap = std::min(o.overlap, size / 2);
  std::vector<Chunk> out;
  int position = 0;
  for (const auto& sec : sections) {
    const std::string_view text = sec.text;
    const auto cps = CodePoints(text);
    const std::size_t total = cps.size() - 1;
    std::size_t start = 0;  // in code points
    while (start < total) {
      std::size_t end = std::min(total, start + size);
      if (end < total) {
        // The best boundary in the last fifth of the window.
        const std::size_t lo = start + size * 4 / 5;
        const std::string_view window = text.substr(cps[lo], cps[end] - cps[lo]);
        for (const std::string_view sep : {"\n\n", "\n", ". ", "! ", "? ", "; ", " "}) {
          const auto at = window.rfind(sep);
          if (at == std::string_view::npos) continue;
          const std::size_t byte = cps[lo] + at + sep.size();
          end = static_cast<std::size_t>(std::lower_bound(cps.begin(), cps.end(), byte) -
                                         cps.begin());
          break;
        }
      }
      std::string piece = Trim(text.substr(cps[start], cps[end] - cps[start]));
      if (!piece.empty()) out.push_back({std::move(piece), sec.label, sec.page, position++});
      if (end >= total) break;
      // Step back by the overlap, to a word start so a chunk does not open mid-word.
      std::size_t next = end > overlap ? end - overlap : end;
      if (next <= start) next = end;
      while (next > start + 1 && next < end && text[cps[next] - 1] != ' ' &&
             text[cps[next] - 1] != '\n')
        ++next;
      start = next;
    }
  }
  return out;
}

}  // namespace sloth::knowledge
