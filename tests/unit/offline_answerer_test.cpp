// The offline answerer: intent by keywords, language by script, the salon's name and phone.

#include <gtest/gtest.h>

#include "agent/offline_answerer.hpp"

namespace sloth::agent {
namespace {

const SalonProfile kSalon{"Nail Bar", "+380 44 123 45 67"};

bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(OfflineAnswerer, BookingBeforePriceBeforeGreeting) {
  const auto book = OfflineAnswer({"Hi! Can I book a manicure? How much is it?"}, kSalon);
  EXPECT_TRUE(Contains(book, "happy to book you in")) << book;
  EXPECT_TRUE(Contains(book, "+380 44 123 45 67")) << book;
  const auto price = OfflineAnswer({"hello", "What is the price of pedicure?"}, kSalon);
  EXPECT_TRUE(Contains(price, "asking about prices")) << price;
  const auto hi = OfflineAnswer({"Hello there"}, kSalon);
  EXPECT_EQ(hi, "Hello! This is Nail Bar. How can we help you today?");
  const auto other = OfflineAnswer({"Do you have parking?"}, kSalon);
  EXPECT_EQ(other, "Thank you for your message! Nail Bar has received it and will reply shortly.");
}

// Cyrillic keywords match in lower case only (the answerer folds ASCII alone); the agent
// that replaces it routes by language properly.
TEST(OfflineAnswerer, AnswersUkrainianInUkrainian) {
  const auto book = OfflineAnswer({"хочу записатися на манікюр"}, kSalon);
  EXPECT_TRUE(Contains(book, "запишемо")) << book;
  EXPECT_TRUE(Contains(book, "Телефон: +380")) << book;
  const auto price = OfflineAnswer({"скільки коштує педикюр?"}, {"", ""});
  EXPECT_TRUE(Contains(price, "ціни")) << price;
  EXPECT_FALSE(Contains(price, "Телефон")) << price;  // no phone, no phone line
  EXPECT_EQ(OfflineAnswer({"привіт"}, {"", ""}), "Вітаємо! Це Салон. Чим можемо допомогти?");
}

TEST(OfflineAnswerer, CaseAndCommandsDoNotMatter) {
  EXPECT_TRUE(Contains(OfflineAnswer({"HOW MUCH?"}, kSalon), "prices"));
  EXPECT_TRUE(Contains(OfflineAnswer({"/start"}, kSalon), "This is Nail Bar"));
}

}  // namespace
}  // namespace sloth::agent
