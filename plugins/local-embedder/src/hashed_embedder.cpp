#include "hashed_embedder.hpp"

#include <cmath>
#include <unordered_map>
#include <unordered_set>

namespace local_embedder {
namespace {

std::uint64_t Fnv1a(std::string_view s, std::uint64_t seed) {
  std::uint64_t h = 1469598103934665603ULL ^ seed;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// Appends the lower-case UTF-8 of code point `cp`.
void AppendLower(std::uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
    return;
  }
  if (cp >= 0x410 && cp <= 0x42F)
    cp += 0x20;  // А-Я -> а-я
  else if (cp >= 0x400 && cp <= 0x40F)
    cp += 0x50;  // Ѐ-Џ (Є, І, Ї) -> ѐ-џ
  else if (cp == 0x490)
    cp = 0x491;  // Ґ -> ґ
  if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool IsWordChar(std::uint32_t cp) {
  return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
         (cp >= 0xC0 && cp <= 0x24F) ||   // Latin letters with accents
         (cp >= 0x400 && cp <= 0x4FF) ||  // Cyrillic
         cp == 0x2BC || cp == 0x27;       // apostrophes inside Ukrainian words
}

const std::unordered_set<std::string>& StopWords() {
  static const std::unordered_set<std::string> words = {
      "a",    "an",  "the",  "and",  "or",   "of",   "to",   "in",  "on",   "for",  "is",
      "are",  "be",  "it",   "do",   "does", "you",  "your", "we",  "our",  "i",    "my",
      "me",   "can", "with", "at",   "by",   "what", "how",  "is",  "this", "that", "there",
      "have", "has", "will", "from", "as",   "і",    "й",    "та",  "в",    "у",    "на",
      "з",    "із",  "до",   "що",   "як",   "чи",   "це",   "ви",  "ми",   "я",    "мені",
      "вас",  "нас", "для",  "по",   "за",   "є",    "а",    "але", "не",   "so"};
  return words;
}

// Character positions (byte offsets) of each code point in `w`, plus the end.
std::vector<std::size_t> Boundaries(const std::string& w) {
  std::vector<std::size_t> b;
  for (std::size_t i = 0; i < w.size(); ++i) {
    if ((static_cast<unsigned char>(w[i]) & 0xC0) != 0x80) b.push_back(i);
  }
  b.push_back(w.size());
  return b;
}

}  // namespace

std::vector<std::string> HashedEmbedder::Words(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::uint32_t cp = c;
    std::size_t len = 1;
    if (c >= 0xF0 && i + 3 < text.size()) {
      cp = ((c & 0x07u) << 18) | ((text[i + 1] & 0x3Fu) << 12) | ((text[i + 2] & 0x3Fu) << 6) |
           (text[i + 3] & 0x3Fu);
      len = 4;
    } else if (c >= 0xE0 && i + 2 < text.size()) {
      cp = ((c & 0x0Fu) << 12) | ((text[i + 1] & 0x3Fu) << 6) | (text[i + 2] & 0x3Fu);
      len = 3;
    } else if (c >= 0xC0 && i + 1 < text.size()) {
      cp = ((c & 0x1Fu) << 6) | (text[i + 1] & 0x3Fu);
      len = 2;
    }
    i += len;
    if (IsWordChar(cp)) {
      if (cp != 0x2BC && cp != 0x27) AppendLower(cp, cur);
    } else if (!cur.empty()) {
      words.push_back(std::move(cur));
      cur.clear();
    }
  }
  if (!cur.empty()) words.push_back(std::move(cur));
  return words;
}

void HashedEmbedder::Embed(std::string_view text, float* out) const {
  std::unordered_map<std::uint64_t, float> tf;  // hashed feature -> weighted count
  const auto words = Words(text);
  const auto& stop = StopWords();
  auto add = [&](std::string_view feature, std::uint64_t kind, float weight) {
    tf[Fnv1a(feature, kind)] += weight;
  };
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& w = words[i];
    const bool common = stop.count(w) > 0;
    add(w, 1, common ? 0.1f : 1.0f);
    if (i + 1 < words.size() && !common && !stop.count(words[i + 1]))
      add(w + " " + words[i + 1], 2, 0.6f);
    if (common) continue;
    const std::string marked = "<" + w + ">";
    const auto b = Boundaries(marked);
    const std::size_t chars = b.size() - 1;
    for (std::size_t n = 3; n <= 5; ++n) {
      if (chars < n) break;
      const float weight = 0.35f / static_cast<float>(chars - n + 1);  // a word's n-grams share
      for (std::size_t s = 0; s + n <= chars; ++s)
        add(std::string_view(marked).substr(b[s], b[s + n] - b[s]), 10 + n, weight * 4.0f);
    }
  }
  for (std::uint32_t d = 0; d < dim_; ++d) out[d] = 0.0f;
  for (const auto& [h, count] : tf) {
    // Sublinear term frequency: the tenth "manicure" adds less than the second.
    const float v = count >= 1.0f ? 1.0f + std::log(count) : count;
    const float sign = (h >> 63) ? -1.0f : 1.0f;  // signed hashing: collisions cancel out
    out[h % dim_] += sign * v;
  }
  double norm = 0;
  for (std::uint32_t d = 0; d < dim_; ++d) norm += static_cast<double>(out[d]) * out[d];
  if (norm > 0) {
    const float inv = static_cast<float>(1.0 / std::sqrt(norm));
    for (std::uint32_t d = 0; d < dim_; ++d) out[d] *= inv;
  }
}

std::vector<float> HashedEmbedder::Embed(std::string_view text) const {
  std::vector<float> v(dim_);
  Embed(text, v.data());
  return v;
}

}  // namespace local_embedder
