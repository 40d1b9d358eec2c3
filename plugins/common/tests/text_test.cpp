// Message text splitting shared by the channel plugins.

#include <gtest/gtest.h>

#include "text.hpp"

namespace {

TEST(MessageText, SplitsOnBoundariesAndNeverInsideAUtf8Sequence) {
  EXPECT_EQ(sloth_plugins::EscapeHtml("a<b & c>d"), "a&lt;b &amp; c&gt;d");
  std::string para1(3000, 'a'), para2(3000, 'b');
  auto parts = sloth_plugins::SplitText(para1 + "\n\n" + para2);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], para1);
  EXPECT_EQ(parts[1], para2);
  // Sentences: the cut follows the last sentence end in the window.
  std::string s;
  for (int i = 0; i < 300; ++i) s += "Sentence number " + std::to_string(i) + ". ";
  parts = sloth_plugins::SplitText(s, 100);
  for (const auto& p : parts) {
    EXPECT_LE(p.size(), 100u);
    EXPECT_EQ(p.back(), '.');
  }
  // 5000 Cyrillic letters (2 bytes each) without spaces: cut at 4096 code points.
  std::string uk;
  for (int i = 0; i < 5000; ++i) uk += "ж";
  parts = sloth_plugins::SplitText(uk);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].size(), 4096u * 2);
  EXPECT_EQ(parts[1].size(), (5000u - 4096u) * 2);
  EXPECT_TRUE(sloth_plugins::SplitText("  \n ").empty());
}

}  // namespace
