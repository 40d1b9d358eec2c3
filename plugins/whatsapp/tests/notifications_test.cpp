// WhatsApp Cloud API notifications and their signature (PROTOCOLS.md §2).

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fakes/fake_whatsapp.hpp"
#include "notifications.hpp"

namespace {

using json = nlohmann::json;

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

// A published vector of the X-Hub-Signature-256 scheme (HMAC-SHA256 of the raw body, hex,
// "sha256=" prefix), from GitHub's "Validating webhook deliveries", the same scheme Meta's
// webhooks use; checked against the plugin and the fake alike, so the two cannot agree on
// a shared mistake.
TEST(WhatsAppNotifications, SignatureMatchesThePublishedVector) {
  const std::string secret = "It's a Secret to Everybody", body = "Hello, World!";
  const std::string expected =
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
  EXPECT_EQ(whatsapp::Signature(body, secret), expected);
  EXPECT_TRUE(whatsapp::SignatureValid(expected, body, secret));
  EXPECT_EQ(sloth::fakes::FakeWhatsApp::Sign(body, secret), expected);
}

}  // namespace
