// The channel plugins' pure parts on real payload shapes (PROTOCOLS.md §1, §2).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "notifications.hpp"
#include "text.hpp"
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

TEST(WhatsAppNotifications, MessagesOfEveryKindAndStatuses) {
  const auto n = json::parse(
      R"({"object":"whatsapp_business_account","entry":[{"id":"WABA","changes":[{"field":"messages","value":{
  "messaging_product":"whatsapp",
  "metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},
  "contacts":[{"profile":{"name":"Kerry Fisher"},"wa_id":"16315551234"}],
  "messages":[{"from":"16315551234","id":"wamid.ABGG1","timestamp":"1603059201","type":"text","text":{"body":"Hi"}},
              {"from":"16315551234","id":"wamid.ABGG2","timestamp":"1603059202","type":"image","image":{"caption":"this colour","mime_type":"image/jpeg","sha256":"abc","id":"media1"}},
              {"from":"16315551234","id":"wamid.ABGG3","timestamp":"1603059203","type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"slot:10","title":"10:00"}}}],
  "statuses":[{"id":"wamid.OUT1","status":"failed","timestamp":"1603059204","recipient_id":"16315551234","errors":[{"code":131047,"title":"Re-engagement message"}]}]}}]}]})");
  const json events = whatsapp::ParseNotification(n);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0]["text"], "Hi");
  EXPECT_EQ(events[0]["from"]["name"], "Kerry Fisher");
  EXPECT_EQ(events[0]["timestamp"], 1603059201);
  EXPECT_EQ(events[1]["photo"]["media_id"], "media1");
  EXPECT_EQ(events[1]["text"], "this colour");
  EXPECT_EQ(events[2]["type"], "callback");
  EXPECT_EQ(events[2]["callback_data"], "slot:10");
  EXPECT_EQ(events[3]["type"], "status");
  EXPECT_EQ(events[3]["status"], "failed");
  EXPECT_EQ(events[3]["error"], "Re-engagement message");
  EXPECT_THROW(whatsapp::ParseNotification(json::parse(R"({"object":"page","entry":[]})")),
               std::invalid_argument);
}

TEST(WhatsAppNotifications, SignatureOverTheRawBytes) {
  const std::string body = R"({"object":"whatsapp_business_account","entry":[]})";
  const std::string sig = whatsapp::Signature(body, "secret");
  EXPECT_EQ(sig.rfind("sha256=", 0), 0u);
  EXPECT_TRUE(whatsapp::SignatureValid(sig, body, "secret"));
  EXPECT_FALSE(whatsapp::SignatureValid(sig, body + " ", "secret"));
  EXPECT_FALSE(whatsapp::SignatureValid(sig.substr(0, sig.size() - 1), body, "secret"));
  EXPECT_FALSE(whatsapp::SignatureValid("", body, "secret"));
}

}  // namespace
