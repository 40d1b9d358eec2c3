// Personal data masked before it reaches a log line.

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "log/log.hpp"
#include "privacy/pii.hpp"

namespace sloth::privacy {
namespace {

TEST(Pii, EmailsPhonesCardsAndIbansAreMasked) {
  EXPECT_EQ(MaskPii("write to anna.k+salon@gmail.com."), "write to [email].");
  EXPECT_EQ(MaskPii("call +380 (67) 123-45-67 after 5"), "call [phone] after 5");
  EXPECT_EQ(MaskPii("мій номер 0671234567"), "мій номер [phone]");
  EXPECT_EQ(MaskPii("card 4111 1111 1111 1111 exp 12/28"), "card [card] exp 12/28");
  EXPECT_EQ(MaskPii("IBAN UA21 3223 1300 0002 6007 2335 6600 1"), "IBAN [iban]");
  EXPECT_EQ(MaskPii("DE89370400440532013000"), "[iban]");
  EXPECT_EQ(MaskPii("123456789@example.org"), "[email]");
}

TEST(Pii, WhatIsNotPersonalStays) {
  for (const char* keep : {"Manicure classic: 450 UAH", "tomorrow at 10:30", "2026-11-27",
                           "order 12345", "rid=5981a6d308d1942aec4f983bb959558f",
                           "4111 1111 1111 1112 fails Luhn and is too long for a phone",
                           "DE89370400440532013001", "user@localhost", "@mention"}) {
    EXPECT_EQ(MaskPii(keep), keep);
  }
}

TEST(Pii, Checksums) {
  EXPECT_TRUE(LuhnValid("4111111111111111"));
  EXPECT_TRUE(LuhnValid("5500 0000 0000 0004"));
  EXPECT_FALSE(LuhnValid("4111111111111112"));
  EXPECT_TRUE(IbanValid("GB82 WEST 1234 5698 7654 32"));
  EXPECT_FALSE(IbanValid("GB82 WEST 1234 5698 7654 33"));
}

}  // namespace
}  // namespace sloth::privacy

namespace sloth::privacy {
namespace {

TEST(Pii, LogLinesAreMaskedWhateverLoggerWritesThem) {
  log::Setup("info", "text");
  ::testing::internal::CaptureStderr();
  log::Get("pii-test")->info("client +380 67 123 45 67 wrote from anna@salon.example");
  spdlog::info("card 4111111111111111 in a provider's error");
  log::Get("pii-test")->flush();
  spdlog::default_logger()->flush();
  const std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(out.find("123 45 67"), std::string::npos) << out;
  EXPECT_EQ(out.find("anna@salon.example"), std::string::npos) << out;
  EXPECT_EQ(out.find("4111111111111111"), std::string::npos) << out;
  EXPECT_NE(out.find("client [phone] wrote from [email]"), std::string::npos) << out;
  EXPECT_NE(out.find("card [card] in a provider's error"), std::string::npos) << out;
}

}  // namespace
}  // namespace sloth::privacy
