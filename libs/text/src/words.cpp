#include "sloth_text/words.hpp"

#include <algorithm>

namespace sloth::text {

char32_t Next(std::string_view s, std::size_t& i) {
  const auto c = static_cast<unsigned char>(s[i++]);
  if (c < 0x80) return c;
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : -1;
  if (extra < 0) return 0xFFFD;
  char32_t cp = c & (0x3F >> extra);
  while (extra-- > 0) {
    if (i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return 0xFFFD;
    cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3F);
  }
  return cp;
}

void Append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

char32_t Lower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if ((c >= 0xC0 && c <= 0xDE) && c != 0xD7) return c + 32;
  if (c >= 0x100 && c <= 0x17F) {
    // Pairs upper/lower: even/odd, except 0x139..0x148 and 0x179..0x17E which are odd/even.
    const bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if (odd_upper ? (c % 2 == 1) : (c % 2 == 0)) return c + 1;
    return c;
  }
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  if (c == 0x490) return 0x491;  // Ґ
  return c;
}

bool IsWordChar(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         (c >= 0xDF && c <= 0xFF && c != 0xF7) || (c >= 0x100 && c <= 0x17F) ||
         (c >= 0x430 && c <= 0x45F) || c == 0x491;
}

bool IsApostrophe(char32_t c) {
  return c == '\'' || c == 0x2019 || c == 0x2BC || c == 0x60;
}

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  std::size_t i = 0;
  while (i < text.size()) {
    const char32_t c = Lower(Next(text, i));
    if (IsWordChar(c) || (c == '-' && !cur.empty())) {
      Append(cur, c);
    } else if (IsApostrophe(c) && !cur.empty()) {
      continue;  // п'ять -> пять, don't -> dont
    } else if (!cur.empty()) {
      while (!cur.empty() && cur.back() == '-') cur.pop_back();
      if (!cur.empty()) words.push_back(std::move(cur));
      cur.clear();
    }
  }
  while (!cur.empty() && cur.back() == '-') cur.pop_back();
  if (!cur.empty()) words.push_back(std::move(cur));
  return words;
}

std::size_t Length(std::string_view s) {
  std::size_t n = 0, i = 0;
  while (i < s.size()) {
    Next(s, i);
    ++n;
  }
  return n;
}

std::string Prefix(std::string_view s, std::size_t n) {
  std::size_t i = 0;
  while (i < s.size() && n > 0) {
    Next(s, i);
    --n;
  }
  return std::string(s.substr(0, i));
}

bool SameStem(std::string_view a, std::string_view b) {
  const std::size_t need = std::min<std::size_t>({Length(a), Length(b), 5});
  if (need < 3) return a == b;
  return Prefix(a, need) == Prefix(b, need);
}

bool MostlyCyrillic(std::string_view s) {
  std::size_t cyrillic = 0, latin = 0, i = 0;
  while (i < s.size()) {
    const char32_t c = Lower(Next(s, i));
    if (c >= 0x430 && c <= 0x491) ++cyrillic;
    if ((c >= 'a' && c <= 'z') || (c >= 0xDF && c <= 0x17F)) ++latin;
  }
  return cyrillic > latin;
}

}  // namespace sloth::text
