#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sloth/testing/fake_host.hpp"

// The plugin's exported entry point, linked into this test from src/echo_plugin.cpp.
extern "C" int32_t sloth_plugin_init_v1(const sloth_host_api*, const sloth_plugin_api**);
extern "C" const sloth_plugin_info* sloth_plugin_descriptor(void);

namespace {

using json = nlohmann::json;
using sloth::testing::FakeHost;

TEST(EchoChannelTest, DescriptorIsPure) {
  const sloth_plugin_info* info = sloth_plugin_descriptor();
  EXPECT_EQ(info->abi_major, static_cast<uint32_t>(SLOTH_ABI_MAJOR));
  EXPECT_STREQ(info->id, "echo");
  EXPECT_STREQ(info->version, "1.0.0");
  EXPECT_EQ(info->kinds, static_cast<uint32_t>(SLOTH_KIND_CHANNEL));
  EXPECT_EQ(sloth_plugin_descriptor(), info);
}

TEST(EchoChannelTest, WebhookVerifiesAndParses) {
  FakeHost host(sloth_plugin_init_v1);
  ASSERT_TRUE(host.Create(R"({"secret":"s3cret-token"})").ok());
  ASSERT_TRUE(host.Start().ok());

  auto r = host.Webhook("POST", R"({"chat_id":42,"message_id":7,"text":"hi"})",
                        {{"x-echo-secret", "s3cret-token"}});
  ASSERT_TRUE(r.ok()) << r.error;
  const auto out = json::parse(r.output);
  EXPECT_EQ(out["response"]["status"], 200);
  ASSERT_EQ(out["events"].size(), 1u);
  EXPECT_EQ(out["events"][0]["chat_id"], "42");
  EXPECT_EQ(out["events"][0]["text"], "hi");
  EXPECT_EQ(host.counters["webhooks_received"], 1);

  r = host.Webhook("POST", R"({"chat_id":42,"message_id":8,"text":"hi"})",
                   {{"X-Echo-Secret", "wrong-token!"}});
  EXPECT_EQ(r.status, SLOTH_UNAUTHENTICATED);
  EXPECT_EQ(r.error, "missing or wrong X-Echo-Secret");

  r = host.Webhook("POST", "not json", {{"X-Echo-Secret", "s3cret-token"}});
  EXPECT_EQ(r.status, SLOTH_INVALID_ARGUMENT);
}

TEST(EchoChannelTest, SendStoresTheReplyInTheKeyValueStore) {
  FakeHost host(sloth_plugin_init_v1);
  ASSERT_TRUE(host.Create(R"({"secret":"s3cret-token","prefix":">> "})").ok());
  ASSERT_TRUE(host.Start().ok());
  auto r = host.Send(R"({"chat_id":"42","text":"hello"})");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(json::parse(r.output)["message_id"], "echo-1");
  EXPECT_EQ(host.kv["last:42"], ">> hello");
  EXPECT_EQ(host.Send("{}").status, SLOTH_INVALID_ARGUMENT);
  EXPECT_EQ(json::parse(host.Health().output)["sent"], 1);
}

TEST(EchoChannelTest, BadConfigFailsCreate) {
  FakeHost host(sloth_plugin_init_v1);
  const auto r = host.Create("{}");
  EXPECT_EQ(r.status, SLOTH_INTERNAL);
  EXPECT_FALSE(r.error.empty());
  EXPECT_FALSE(host.Start().ok());  // nothing is called on an instance whose create failed
}

TEST(EchoChannelTest, PollIsUnsupported) {
  FakeHost host(sloth_plugin_init_v1);
  ASSERT_TRUE(host.Create(R"({"secret":"s3cret-token"})").ok());
  EXPECT_EQ(host.Poll(100).status, SLOTH_UNSUPPORTED);
}

TEST(EchoChannelTest, HostServicesAreRefusedAfterStop) {
  FakeHost host(sloth_plugin_init_v1);
  ASSERT_TRUE(host.Create(R"({"secret":"s3cret-token"})").ok());
  ASSERT_TRUE(host.Start().ok());
  ASSERT_TRUE(host.Stop().ok());
  // A call after stop would need the store; the fake refuses like the real host.
  EXPECT_EQ(host.Send(R"({"chat_id":"1","text":"x"})").status, SLOTH_CANCELLED);
}

}  // namespace
