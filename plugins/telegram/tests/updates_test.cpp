// Telegram updates parsed from real payload shapes (PROTOCOLS.md §1).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "updates.hpp"

namespace {

using json = nlohmann::json;

TEST(TelegramUpdates, TheProtocolsExampleIsACommandMessage) {
  const auto u = json::parse(
      R"({"update_id":10000,"message":{"message_id":1365,"from":{"id":1111111,"is_bot":false,"first_name":"Ann","username":"ann","language_code":"en"},
 "chat":{"id":1111111,"first_name":"Ann","username":"ann","type":"private"},"date":1441645532,"text":"/start"}})");
  const auto p = telegram::ParseUpdate(u);
  ASSERT_TRUE(p.event);
  const json& e = *p.event;
  EXPECT_EQ(e["type"], "message");
  EXPECT_EQ(e["chat_id"], "1111111");
  EXPECT_EQ(e["message_id"], "10000");
  EXPECT_EQ(e["provider_message_id"], "1365");
  EXPECT_EQ(e["command"], "start");
  EXPECT_EQ(e["from"]["name"], "Ann");
  EXPECT_EQ(e["from"]["language"], "en");
  EXPECT_EQ(e["timestamp"], 1441645532);
}

TEST(TelegramUpdates, GroupIdsBeyond32BitsAndUnknownTypes) {
  const auto u = json::parse(
      R"({"update_id":5,"message":{"message_id":1,"chat":{"id":-1001234567890123,"type":"supergroup"},"date":1,"text":"hi"}})");
  EXPECT_EQ(telegram::ParseUpdate(u).event->at("chat_id"), "-1001234567890123");
  const auto member = telegram::ParseUpdate(json::parse(R"({"update_id":6,"my_chat_member":{}})"));
  EXPECT_FALSE(member.event);
  EXPECT_EQ(member.kind, "my_chat_member");
  EXPECT_THROW(telegram::ParseUpdate(json::parse(R"({"message":{}})")), std::invalid_argument);
  EXPECT_THROW(telegram::ParseUpdate(json::parse(R"({"update_id":"7"})")), std::invalid_argument);
}

// Found by fuzz/telegram_update_fuzz.cpp: fields of another type than Telegram documents
// ("chat": 0, a numeric name) threw from the parse instead of costing only the field.
TEST(TelegramUpdates, FieldsOfTheWrongTypeAreIgnoredNotThrown) {
  const auto fuzzed = json::parse(
      R"({"update_id":40001,"edited_message":{"message_id":7,"from":{"id":42,"is_bot":false,)"
      R"("first_name":5},"chat":0,"text":"Can you do these nails by Friday?"}})");
  const auto p = telegram::ParseUpdate(fuzzed);
  EXPECT_EQ(p.kind, "edited_message");
  EXPECT_FALSE(p.event.has_value());  // no chat: nothing to answer
  const auto typed = json::parse(
      R"({"update_id":9,"message":{"message_id":"x","chat":{"id":5,"type":3},"from":[],)"
      R"("photo":[{"file_id":7,"width":"w"}]},"callback_query":{"id":{},"data":1}})");
  const auto q = telegram::ParseUpdate(typed);
  ASSERT_TRUE(q.event.has_value());
  EXPECT_EQ((*q.event)["chat_id"], "5");
  EXPECT_EQ((*q.event)["chat_type"], "");
  EXPECT_EQ((*q.event)["photo"]["file_id"], "");
  EXPECT_EQ((*q.event)["photo"]["width"], 0);
}

}  // namespace
