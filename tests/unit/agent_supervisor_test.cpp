#include <gtest/gtest.h>

#include "agent/prompt.hpp"
#include "agent/supervisor.hpp"
#include "errors/error.hpp"

namespace sloth::agent {
namespace {

using json = nlohmann::json;

TEST(SupervisorTest, RefusedTopicsMatchInflectedWordsOnly) {
  const std::vector<std::string> topics = {"politics", "crypto investment", "політика"};
  EXPECT_EQ(RefusedTopic("What about POLITICS today?", topics), "politics");
  EXPECT_EQ(RefusedTopic("any crypto investments tips", topics), "crypto investment");
  EXPECT_EQ(RefusedTopic("Що думаєте про політику?", topics), "політика");
  EXPECT_FALSE(RefusedTopic("crypto only", topics));
  EXPECT_FALSE(RefusedTopic("How much is a manicure?", topics));
}

TEST(SupervisorTest, RepliesThatFailAreNamedAndGroundedOnesPass) {
  ReplyCheck c;
  c.system_prompt =
      "You are a helpful AI assistant for a beauty salon.\nAnswer only from the salon's "
      "information below. Be brief.";
  c.grounding = "Salon: Aurora. Phone: +380 44 123 45 67.\nWrite to hello@aurora.example";
  c.max_chars = 200;
  EXPECT_EQ(CheckReply("  \n", c), "empty");
  EXPECT_EQ(CheckReply(std::string(201, 'a'), c), "too_long");
  EXPECT_EQ(CheckReply("Sure: answer only from the salon's information below.", c), "prompt_echo");
  EXPECT_EQ(CheckReply("Mail boss@other-salon.example", c),
            "ungrounded_contact: boss@other-salon.example");
  EXPECT_EQ(CheckReply("Call 067 765 43 21", c), "ungrounded_contact: 0677654321");
  // The salon's own number, however written, and its e-mail pass; prices are not phones.
  EXPECT_FALSE(CheckReply("Call us at 044 123-45-67 or HELLO@aurora.example.", c));
  EXPECT_FALSE(CheckReply("A classic manicure is 450 UAH, 45 minutes.", c));
}

TEST(PromptTest, ChangesAreValidatedFieldByField) {
  const Prompt base;
  const Prompt p = ApplyChange(base, {{"temperature", 0}, {"max_tokens", 4096}}, 4096);
  EXPECT_EQ(p.temperature, 0);
  EXPECT_EQ(p.max_tokens, 4096);
  EXPECT_EQ(p.role, base.role);  // partial: the rest kept
  auto field_of = [](const json& body) {
    try {
      ApplyChange(Prompt{}, body, 4096);
    } catch (const errors::Error& e) {
      return e.field();
    }
    return std::string("accepted");
  };
  EXPECT_EQ(field_of({{"temperature", 2.01}}), "temperature");
  EXPECT_EQ(field_of({{"max_tokens", 4097}}), "max_tokens");
  EXPECT_EQ(field_of({{"max_tokens", 1.5}}), "max_tokens");
  EXPECT_EQ(field_of({{"role", "   "}}), "role");
  EXPECT_EQ(field_of({{"context", std::string(20001, 'x')}}), "context");
  EXPECT_EQ(field_of({{"refused_topics", {""}}}), "refused_topics");
  EXPECT_EQ(field_of({{"version", 3}}), "version");
  EXPECT_EQ(field_of({{"context", nullptr}}), "accepted");
}

}  // namespace
}  // namespace sloth::agent
