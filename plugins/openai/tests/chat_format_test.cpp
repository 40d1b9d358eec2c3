#include "chat_format.hpp"

#include <gtest/gtest.h>

#include "sloth/plugin.hpp"

namespace openai {
namespace {

using json = nlohmann::json;

TEST(ChatFormatTest, HostMessagesBecomeTheChatRequest) {
  const json request = {
      {"messages",
       {{{"role", "system"}, {"content", "You are..."}},
        {{"role", "user"}, {"content", "Hours?"}},
        {{"role", "assistant"},
         {"content", nullptr},
         {"tool_calls", {{{"id", "c1"}, {"name", "hours"}, {"arguments", {{"day", "mon"}}}}}}},
        {{"role", "tool"}, {"tool_call_id", "c1"}, {"name", "hours"}, {"content", "9-19"}}}},
      {"tools", {{{"name", "hours"}, {"parameters", {{"type", "object"}}}}}},
      {"temperature", 0.2},
      {"max_tokens", 300},
      {"hints", {{"language", "en"}}}};
  const json body = ToChatRequest(request, {"gpt-test", true});
  EXPECT_EQ(body["model"], "gpt-test");
  EXPECT_FALSE(body.contains("hints"));
  EXPECT_EQ(body["messages"][2]["tool_calls"][0]["type"], "function");
  EXPECT_EQ(body["messages"][2]["tool_calls"][0]["function"]["arguments"], R"({"day":"mon"})");
  EXPECT_TRUE(body["messages"][2]["content"].is_null());
  EXPECT_EQ(body["messages"][3],
            json({{"role", "tool"}, {"tool_call_id", "c1"}, {"content", "9-19"}}));
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_EQ(body["max_tokens"], 300);
  EXPECT_EQ(body["tools"][0]["type"], "function");
  EXPECT_EQ(body["tools"][0]["function"]["name"], "hours");
}

TEST(ChatFormatTest, ResponsesOfCompatibleServersAreReadTolerantly) {
  // content null, no usage, arguments as an object, no index (llama.cpp, Ollama).
  const json r = FromChatResponse(
      {{"choices",
        {{{"message",
           {{"role", "assistant"},
            {"content", nullptr},
            {"tool_calls",
             {{{"id", "a"}, {"function", {{"name", "hours"}, {"arguments", {{"day", "sat"}}}}}}}}}},
          {"finish_reason", "tool_calls"}}}}});
  EXPECT_EQ(r["text"], "");
  EXPECT_EQ(r["tool_calls"][0]["arguments"]["day"], "sat");
  EXPECT_EQ(r["usage"]["prompt_tokens"], 0);
  EXPECT_THROW(FromChatResponse({{"choices", json::array()}}), sloth::Error);
  EXPECT_THROW(FromChatResponse(json::array()), sloth::Error);
}

TEST(ChatFormatTest, StreamFragmentsAreAssembledWhateverTheSplit) {
  // Two parallel calls whose fragments interleave, then text, then usage; fed byte by byte.
  const std::string sse =
      "data: "
      "{\"model\":\"m\",\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n"
      ": keep-alive\n\n"
      "data: "
      "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"a\",\"type\":\"function\","
      "\"function\":{\"name\":\"hours\",\"arguments\":\"\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"b\",\"function\":{"
      "\"name\":\"hours\",\"arguments\":\"{\\\"day\\\"\"}}]}}]}\r\n\r\n"
      "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
      "\"{\\\"day\\\":\\\"mon\\\"}\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,\"function\":{\"arguments\":"
      "\":\\\"sat\\\"}\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\"Che\"}}]}\n\n"
      "data: "
      "{\"choices\":[{\"delta\":{\"content\":\"cking\"},\"finish_reason\":\"tool_calls\"}]}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3}}\n\n"
      "data: [DONE]\n\n";
  std::string deltas;
  StreamAssembler a([&](std::string_view d) { deltas += d; });
  for (char c : sse) a.Feed(std::string_view(&c, 1));
  ASSERT_TRUE(a.done());
  const json r = a.Result();
  EXPECT_EQ(r["text"], "Checking");
  EXPECT_EQ(deltas, "Checking");
  ASSERT_EQ(r["tool_calls"].size(), 2u);
  EXPECT_EQ(r["tool_calls"][0]["arguments"]["day"], "mon");
  EXPECT_EQ(r["tool_calls"][1]["id"], "b");
  EXPECT_EQ(r["tool_calls"][1]["arguments"]["day"], "sat");
  EXPECT_EQ(r["usage"]["completion_tokens"], 3);
  EXPECT_EQ(r["model"], "m");
}

TEST(ChatFormatTest, AStreamedErrorOrGarbageIsAnError) {
  StreamAssembler a;
  EXPECT_THROW(a.Feed("data: {\"error\":{\"message\":\"overloaded\"}}\n\n"), sloth::Error);
  StreamAssembler b;
  EXPECT_THROW(b.Feed("data: {not json\n\n"), sloth::Error);
}

}  // namespace
}  // namespace openai
