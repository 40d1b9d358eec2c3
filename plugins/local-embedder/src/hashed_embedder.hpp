#pragma once

// Offline text embeddings with no model: features are words, word pairs and character
// 3–5-grams of each word (which carry inflected forms — Ukrainian endings — onto shared
// features), hashed into `dimension` signed buckets, weighted by sublinear term frequency
// and by kind, common words damped (a fixed IDF stand-in: stop words of English and
// Ukrainian), and L2-normalised so a dot product is the cosine.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace local_embedder {

class HashedEmbedder {
 public:
  explicit HashedEmbedder(std::uint32_t dimension) : dim_(dimension) {}
  std::uint32_t dimension() const { return dim_; }
  // Writes dimension() floats to `out`.
  void Embed(std::string_view text, float* out) const;
  std::vector<float> Embed(std::string_view text) const;

  // Lower-cased words of `text` (ASCII and Cyrillic letters, digits; UTF-8 kept whole).
  static std::vector<std::string> Words(std::string_view text);

 private:
  std::uint32_t dim_;
};

}  // namespace local_embedder
