#include "extractive_model.hpp"

#include <gtest/gtest.h>

namespace local_llm {
namespace {

using json = nlohmann::json;

const json kPrices = {
    {{"chunk_id", 11},
     {"title", "prices_en.md"},
     {"text",
      "# Salon Aurora — services and prices\n\n## Nails\nClassic manicure (45 minutes): 15 EUR. "
      "Includes cuticle care.\nGel polish manicure (75 minutes): 25 EUR.\n\n## Feet\nClassic "
      "pedicure (60 minutes): 25 EUR."}},
    {{"chunk_id", 12},
     {"title", "prices_uk.md"},
     {"text", "## Нігті\nКласичний манікюр (45 хвилин) — 400 грн.\n| Педикюр | 600 грн |"}}};

json Ask(const std::string& text, const std::string& language, const std::string& intent,
         const json& context = kPrices, const json& tools = json::array()) {
  return Respond(
      {{"messages",
        {{{"role", "system"}, {"content", "You are..."}}, {{"role", "user"}, {"content", text}}}},
       {"tools", tools},
       {"hints",
        {{"language", language},
         {"intent", intent},
         {"context", context},
         {"salon", {{"name", "Aurora"}}},
         {"today", "2026-12-31"}}}});
}

TEST(ExtractiveModelTest, APriceQuestionGetsThePriceLineAndItsSource) {
  const auto r = Ask("How much is a classic manicure?", "en", "question");
  const std::string text = r["text"];
  EXPECT_EQ(text.rfind("Classic manicure (45 minutes): 15 EUR.", 0), 0u) << text;
  EXPECT_NE(text.find("Source: prices_en.md"), std::string::npos) << text;
  EXPECT_EQ(text.find("pedicure"), std::string::npos) << text;
  EXPECT_EQ(r["model"], "local-extractive-1");
  EXPECT_GT(r["usage"]["prompt_tokens"].get<int>(), 0);
}

TEST(ExtractiveModelTest, PrefersTheClientsLanguageAndReadsTableRows) {
  auto text = Ask("Скільки коштує педикюр?", "uk", "question")["text"].get<std::string>();
  EXPECT_EQ(text.rfind("Педикюр — 600 грн", 0), 0u) << text;
  EXPECT_NE(text.find("Джерело: prices_uk.md"), std::string::npos) << text;
  // An English fact for a Ukrainian client is introduced in Ukrainian.
  const json en_only = json::array({kPrices[0]});
  text = Ask("Скільки коштує classic pedicure?", "uk", "question", en_only)["text"];
  EXPECT_EQ(text.rfind("В інформації салону зазначено:\nClassic pedicure", 0), 0u) << text;
}

TEST(ExtractiveModelTest, SaysPlainlyWhenTheKnowledgeHasNoAnswer) {
  EXPECT_EQ(Ask("Do you sell car insurance?", "en", "question")["text"],
            "I could not find that in the salon's information. Would you like me to pass your "
            "question to a member of the team?");
  EXPECT_NE(Ask("Чи продаєте ви страховку?", "uk", "question")["text"].get<std::string>().find(
                "не знайшов"),
            std::string::npos);
  EXPECT_NE(Ask("Hello!", "de", "greeting")["text"].get<std::string>().find("Hier ist Aurora"),
            std::string::npos);
}

TEST(ExtractiveModelTest, ClearBookingRequestsCallTheOfferedTool) {
  const json tools = {{{"type", "function"},
                       {"function",
                        {{"name", "find_slots"},
                         {"parameters",
                          {{"type", "object"},
                           {"properties",
                            {{"text", {{"type", "string"}}},
                             {"date", {{"type", "string"}}},
                             {"time", {{"type", "string"}}}}}}}}}}};
  auto r = Ask("Book a manicure tomorrow at 10", "en", "booking", kPrices, tools);
  ASSERT_EQ(r["tool_calls"].size(), 1u) << r;
  EXPECT_TRUE(r["text"].is_null());
  EXPECT_EQ(r["tool_calls"][0]["name"], "find_slots");
  const auto args = r["tool_calls"][0]["arguments"];
  EXPECT_EQ(args["date"], "2027-01-01");  // tomorrow after the year's last day
  EXPECT_EQ(args["time"], "10:00");
  EXPECT_EQ(args["text"], "Book a manicure tomorrow at 10");
  r = Ask("запишіть мене на манікюр завтра о 14:30", "uk", "booking", kPrices, tools);
  const auto uk = r["tool_calls"][0]["arguments"];
  EXPECT_EQ(uk["date"], "2027-01-01");
  EXPECT_EQ(uk["time"], "14:30");
  // Without booking tools the client is asked for what a booking needs.
  EXPECT_NE(Ask("I want to book", "en", "booking", json::array())["text"].get<std::string>().find(
                "help you book"),
            std::string::npos);
}

TEST(ExtractiveModelTest, WordsAToolResultAndSummarisesADialogue) {
  auto r = Respond({{"messages",
                     {{{"role", "user"}, {"content", "book me"}},
                      {{"role", "assistant"}, {"content", nullptr}, {"tool_calls", json::array()}},
                      {{"role", "tool"}, {"content", R"({"reply":"Booked for 10:00."})"}}}},
                    {"hints", {{"language", "en"}}}});
  EXPECT_EQ(r["text"], "Booked for 10:00.");
  r = Respond({{"messages",
                {{{"role", "system"}, {"content", "Earlier summary: Asked about lashes."}},
                 {{"role", "user"}, {"content", "How much is a classic pedicure?"}},
                 {{"role", "assistant"}, {"content", "Classic pedicure: 25 EUR."}}}},
               {"hints", {{"task", "summarize"}}}});
  const std::string summary = r["text"];
  EXPECT_EQ(summary.rfind("Asked about lashes.", 0), 0u) << summary;
  EXPECT_NE(summary.find("How much is a classic pedicure?"), std::string::npos) << summary;
  EXPECT_NE(summary.find("Last answer: Classic pedicure: 25 EUR."), std::string::npos);
}

}  // namespace
}  // namespace local_llm
