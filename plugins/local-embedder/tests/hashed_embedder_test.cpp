// The offline embedder: hashed character n-grams, normalised.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hashed_embedder.hpp"

namespace {

float Dot(const std::vector<float>& a, const std::vector<float>& b) {
  float s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

TEST(HashedEmbedder, NormalisedDeterministicAndSemanticEnough) {
  local_embedder::HashedEmbedder e(384);
  const auto a = e.Embed("How much does a gel manicure cost?");
  const auto b = e.Embed("Gel manicure price");
  const auto c = e.Embed("Cancellation policy: 24 hours notice");
  EXPECT_NEAR(Dot(a, a), 1.0f, 1e-4);
  EXPECT_EQ(a, e.Embed("How much does a gel manicure cost?"));
  EXPECT_GT(Dot(a, b), Dot(a, c));
  // Ukrainian inflections meet on character n-grams.
  const auto uk1 = e.Embed("Скільки коштує манікюр з покриттям?");
  const auto uk2 = e.Embed("Манікюр з покриттям гель-лаком — 600 грн");
  const auto uk3 = e.Embed("Скасування запису менш ніж за добу");
  EXPECT_GT(Dot(uk1, uk2), Dot(uk1, uk3));
  EXPECT_EQ(local_embedder::HashedEmbedder::Words("МАНІКЮР, Їжак! п'ять"),
            (std::vector<std::string>{"манікюр", "їжак", "пять"}));
  const auto empty = e.Embed("");
  EXPECT_EQ(Dot(empty, empty), 0.0f);
}

}  // namespace
