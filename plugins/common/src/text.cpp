#include "text.hpp"

namespace sloth_plugins {
namespace {

bool Continuation(unsigned char c) {
  return (c & 0xC0) == 0x80;
}

// Byte offset just after the first `n` code points of `s` (or s.size()).
std::size_t PrefixBytes(std::string_view s, std::size_t n) {
  std::size_t i = 0;
  while (i < s.size() && n > 0) {
    ++i;
    while (i < s.size() && Continuation(static_cast<unsigned char>(s[i]))) ++i;
    --n;
  }
  return i;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string EscapeHtml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Base64(std::string_view bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += table[v & 63];
  }
  if (i < bytes.size()) {
    unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::vector<std::string> SplitText(std::string_view text, std::size_t limit) {
  std::vector<std::string> parts;
  text = Trim(text);
  while (!text.empty()) {
    const std::size_t max = PrefixBytes(text, limit);
    if (max == text.size()) {
      parts.emplace_back(text);
      break;
    }
    const std::string_view window = text.substr(0, max);
    std::size_t cut = std::string_view::npos;
    // The latest good boundary in the second half of the window; else any boundary.
    for (const std::string_view sep : {"\n\n", "\n", ". ", "! ", "? ", " "}) {
      const auto at = window.rfind(sep);
      if (at != std::string_view::npos && at > 0 && at >= max / 2) {
        cut = at + (sep.size() > 1 && sep[0] != '\n' ? 1 : 0);
        break;
      }
    }
    if (cut == std::string_view::npos) cut = max;  // one long word: cut at a code point
    parts.emplace_back(Trim(text.substr(0, cut)));
    text = Trim(text.substr(cut));
  }
  return parts;
}

std::string BaseUrl(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

}  // namespace sloth_plugins
