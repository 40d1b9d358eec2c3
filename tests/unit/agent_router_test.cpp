// The agent's router over a labelled set of salon messages in five languages
// (tests/testdata/agent/router_messages.json): language accuracy is asserted, intent
// accuracy has a floor; bench/RESULTS.md records both per language and intent.

#include <fstream>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "agent/router.hpp"

namespace sloth::agent {
namespace {

nlohmann::json Labelled() {
  std::ifstream in(std::string(SLOTH_SOURCE_DIR) + "/tests/testdata/agent/router_messages.json");
  return nlohmann::json::parse(in)["messages"];
}

TEST(AgentRouter, LanguageAndIntentOnTheLabelledSet) {
  const auto set = Labelled();
  ASSERT_GE(set.size(), 150u);
  int language_ok = 0, intent_ok = 0;
  for (const auto& m : set) {
    const auto r = RouteMessage(m["text"].get<std::string>());
    if (r.language == m["language"]) {
      ++language_ok;
    } else {
      ADD_FAILURE() << "language of '" << m["text"].get<std::string>() << "': " << r.language;
    }
    if (IntentName(r.intent) == m["intent"]) {
      ++intent_ok;
    } else {
      std::cout << "intent of '" << m["text"].get<std::string>() << "': " << IntentName(r.intent)
                << ", labelled " << m["intent"].get<std::string>() << "\n";
    }
  }
  const double n = static_cast<double>(set.size());
  EXPECT_GE(language_ok / n, 0.95);
  EXPECT_GE(intent_ok / n, 0.90);
}

TEST(AgentRouter, TellsUkrainianFromRussianAndKeepsTheConversationsLanguage) {
  EXPECT_EQ(DetectLanguage("Скільки коштує манікюр?"), "uk");  // і
  EXPECT_EQ(DetectLanguage("Сколько стоит маникюр?"), "ru");   // words
  EXPECT_EQ(DetectLanguage("Это сколько?"), "ru");             // э
  EXPECT_EQ(DetectLanguage("хочу з живою людиною"), "uk");     // words without і
  EXPECT_EQ(DetectLanguage("ok"), "en");
  EXPECT_EQ(DetectLanguage("10:30", "uk"), "uk");  // no clue: the conversation's language
  EXPECT_EQ(DetectLanguage("👍", "pl"), "pl");
  EXPECT_EQ(DetectLanguage("Źle"), "pl");
  EXPECT_EQ(DetectLanguage("Grüße"), "de");
}

TEST(AgentRouter, WordsAreLowerCasedInEveryScript) {
  EXPECT_EQ(Words("МАНІКЮР, Ґанок! П'ять ŁÓDŹ Straße don't"),
            (std::vector<std::string>{"манікюр", "ґанок", "пять", "łódź", "straße", "dont"}));
  EXPECT_TRUE(Words("  ...  ").empty());
  EXPECT_EQ(Words("\xFF\xFE broken"), (std::vector<std::string>{"broken"}));
}

TEST(AgentRouter, APersonOrAChangeWinsOverEverythingElse) {
  EXPECT_EQ(DetectIntent("Hi, how much is it? Actually let me talk to a manager"), Intent::kHuman);
  EXPECT_EQ(DetectIntent("cancel my booking please"), Intent::kChange);
  EXPECT_EQ(DetectIntent("Hi! Can I book for tomorrow?"), Intent::kBooking);
  EXPECT_EQ(DetectIntent("Hi! How much is a manicure?"), Intent::kQuestion);
  EXPECT_EQ(DetectIntent("Добрий день"), Intent::kGreeting);
}

}  // namespace
}  // namespace sloth::agent
