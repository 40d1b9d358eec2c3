// The agent end to end with the offline model (local-llm): the host in process, knowledge
// uploaded through the API, questions through the web chat, the sandbox and a fake Telegram.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/host_app.hpp"
#include "fakes/fake_telegram.hpp"
#include "support/host_process.hpp"
#include "support/test_db.hpp"

namespace sloth::agent {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kBotToken = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";

std::string ReadFile(const std::string& rel) {
  std::ifstream in(std::string(SLOTH_SOURCE_DIR) + "/tests/testdata/" + rel, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

json TextUpdate(long update_id, const std::string& text, long chat = 2222222) {
  return {{"update_id", update_id},
          {"message",
           {{"message_id", 500 + update_id},
            {"from", {{"id", chat}, {"is_bot", false}, {"first_name", "Olha"}}},
            {"chat", {{"id", chat}, {"first_name", "Olha"}, {"type", "private"}}},
            {"date", 1441645532},
            {"text", text}}}};
}

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = std::filesystem::temp_directory_path() / ("sloth-agent-" + db_.name());
    app_ = std::make_unique<app::HostApp>(config::ParseHostConfig(
        Yaml(), "test.yaml", [](const std::string&) { return std::nullopt; }));
    app_->Start();
  }
  void TearDown() override {
    app_->Stop();
    std::filesystem::remove_all(data_dir_);
  }

  std::string Yaml() const {
    return "http:\n  host: 127.0.0.1\n  port: 0\n  public_url: \"https://sloth.example\"\n"
           "database:\n  url: \"" +
           db_.url() + "\"\n  pool_size: 8\nplans_file: " + SLOTH_SOURCE_DIR +
           "/config/plans.yaml\nauth:\n  jwt_secret: agent-secret-0123456789-abcdefghijklm\n"
           "secrets:\n  master_key: \"" +
           std::string(64, 'd') +
           "\"\njobs:\n  poll_ms: 100\nscheduler:\n  enabled: false\nchannels:\n"
           "  burst_window_ms: 0\n  polling: false\nplugins:\n  dirs: [\"" SLOTH_PLUGIN_DIR
           "\"]\n  config:\n    storage-local: {data_dir: \"" +
           data_dir_.string() +
           "\"}\noutbound_http:\n  allow_private: true\n  rewrite:\n"
           "    \"https://api.telegram.org\": \"" +
           telegram_.base_url() + "\"\n";
  }

  std::string Register(const std::string& email, const std::string& plan = "starter") {
    auto r = testing::HttpCall(app_->port(), "POST", "/api/auth/register",
                               json{{"email", email},
                                    {"password", "a long passphrase 42"},
                                    {"organization_name", "Salon Aurora"},
                                    {"plan", plan}}
                                   .dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body)["access_token"];
  }

  void UploadAndWait(const std::string& token, const std::string& file) {
    const auto m = testing::Multipart(file, ReadFile("eval/" + file));
    auto up = testing::HttpCall(app_->port(), "POST", "/api/documents/upload", m.body, token,
                                m.headers);
    ASSERT_EQ(up.status, 202) << up.body;
    const auto id = json::parse(up.body)["id"].get<std::int64_t>();
    for (int i = 0; i < 600; ++i) {
      auto r = testing::HttpCall(app_->port(), "GET",
                                 "/api/documents/" + std::to_string(id) + "/status", "", token);
      const auto status = json::parse(r.body)["status"];
      if (status == "completed") return;
      ASSERT_NE(status, "failed") << r.body;
      std::this_thread::sleep_for(100ms);
    }
    FAIL() << file << " was not ingested";
  }

  testing::HttpResult Call(const std::string& method, const std::string& path, const json& body,
                           const std::string& token) {
    return testing::HttpCall(app_->port(), method, path, body.is_null() ? "" : body.dump(), token);
  }

  std::int64_t Sql(const std::string& token, const std::string& query) {
    const auto me = json::parse(Call("GET", "/api/auth/me", nullptr, token).body);
    const auto schema = "tenant_" + me["organization"]["id"].dump();
    return app_->pool().InTransaction([&](db::Transaction& tx) {
      tx.Exec("SET LOCAL search_path TO " + schema + ", public");
      return tx.Exec(query).Int(0, 0);
    });
  }

  std::string SqlText(const std::string& token, const std::string& query) {
    const auto me = json::parse(Call("GET", "/api/auth/me", nullptr, token).body);
    const auto schema = "tenant_" + me["organization"]["id"].dump();
    return app_->pool().InTransaction([&](db::Transaction& tx) {
      tx.Exec("SET LOCAL search_path TO " + schema + ", public");
      return tx.Exec(query).Text(0, 0);
    });
  }

  std::string ConnectTelegram(const std::string& token) {
    auto r = Call("POST", "/api/integrations/telegram/connect", {{"bot_token", kBotToken}}, token);
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body)["id"];
  }

  int Deliver(const std::string& integration, const json& update) {
    return testing::HttpCall(app_->port(), "POST", "/hooks/telegram/" + integration,
                             update.dump(), "",
                             {{"Content-Type", "application/json"},
                              {"X-Telegram-Bot-Api-Secret-Token", telegram_.webhook_secret()}})
        .status;
  }

  // Waits until every queued job of the organisation has run (none pending or running).
  bool WaitJobsDone() {
    for (int i = 0; i < 300; ++i) {
      const auto open = app_->pool().InTransaction([](db::Transaction& tx) {
        return tx.Exec("SELECT count(*) FROM public.jobs WHERE state IN ('queued', 'running')")
            .Int(0, 0);
      });
      if (open == 0) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }

  testing::TestDatabase db_;
  fakes::FakeTelegram telegram_{kBotToken};
  std::filesystem::path data_dir_;
  std::unique_ptr<app::HostApp> app_;
};

TEST_F(AgentTest, WebChatQuotesThePriceFromTheUploadedListAndRecordsTheTurn) {
  const auto token = Register("chat@aurora.test");
  UploadAndWait(token, "prices_en.md");
  auto r = Call("POST", "/api/agent/chat", {{"message", "Hi! How much is a classic manicure?"}},
                token);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto turn = json::parse(r.body);
  EXPECT_NE(turn["reply"].get<std::string>().find("Classic manicure (45 minutes): 15 EUR"),
            std::string::npos)
      << turn["reply"];
  EXPECT_EQ(turn["language"], "en");
  ASSERT_FALSE(turn["sources"].empty());
  EXPECT_EQ(turn["sources"][0]["title"], "prices_en.md");
  EXPECT_TRUE(turn["sources"][0]["chunk_id"].is_number_integer());

  // The follow-up continues the same conversation.
  const auto conversation = turn["conversation_id"].get<std::int64_t>();
  r = Call("POST", "/api/agent/chat",
           {{"message", "And a classic pedicure?"}, {"conversation_id", conversation}}, token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(json::parse(r.body)["reply"].get<std::string>().find("25 EUR"), std::string::npos)
      << r.body;

  // The history shows both turns with what each reply was made from.
  const auto h = json::parse(
      Call("GET", "/api/agent/history/" + std::to_string(conversation), nullptr, token).body);
  const auto& messages = h["messages"]["items"];
  ASSERT_EQ(messages.size(), 4u) << h.dump();
  EXPECT_EQ(messages[0]["author"], "client");
  EXPECT_EQ(messages[1]["author"], "agent");
  EXPECT_EQ(messages[1]["model"], "local-extractive-1");
  EXPECT_GT(messages[1]["tokens_in"].get<int>(), 0);
  EXPECT_TRUE(messages[1]["processing_ms"].is_number_integer());
  EXPECT_FALSE(messages[1]["sources"].empty());
  const auto list = json::parse(Call("GET", "/api/agent/history?source=web", nullptr, token).body);
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["mode"], "agent");

  // Two messages and one conversation counted.
  const auto usage =
      json::parse(Call("GET", "/api/subscriptions/usage", nullptr, token).body)["usage"];
  EXPECT_EQ(usage["messages"]["used"], 2);
  EXPECT_EQ(usage["conversations"]["used"], 1);

  // Another organisation's conversation is not there for this one.
  const auto other = Register("other@aurora.test");
  EXPECT_EQ(Call("POST", "/api/agent/chat",
                 {{"message", "hello"}, {"conversation_id", conversation}}, other)
                .status,
            404);
}

TEST_F(AgentTest, UnknownFactsAreNotInventedAndBadInputIsNamed) {
  const auto token = Register("unknown@aurora.test");
  UploadAndWait(token, "prices_en.md");
  auto r = Call("POST", "/api/agent/chat", {{"message", "Do you sell car insurance?"}}, token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(json::parse(r.body)["reply"].get<std::string>().find("could not find"),
            std::string::npos)
      << r.body;

  r = Call("POST", "/api/agent/chat", {{"message", ""}}, token);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["field"], "message");
  r = Call("POST", "/api/agent/chat", {{"message", "hi"}, {"conversation_id", "x"}}, token);
  EXPECT_EQ(json::parse(r.body)["error"]["field"], "conversation_id");
  r = Call("POST", "/api/agent/chat", {{"message", "hi"}, {"role", "admin"}}, token);
  EXPECT_EQ(r.status, 400);
}

TEST_F(AgentTest, RepliesInTheClientsLanguage) {
  const auto token = Register("lang@aurora.test");
  UploadAndWait(token, "prices_uk.md");
  auto r = Call("POST", "/api/agent/chat", {{"message", "Скільки коштує класичний манікюр?"}},
                token);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto turn = json::parse(r.body);
  EXPECT_EQ(turn["language"], "uk");
  EXPECT_NE(turn["reply"].get<std::string>().find("400 грн"), std::string::npos) << turn["reply"];

  for (const auto& [text, lang] : std::vector<std::pair<std::string, std::string>>{
           {"Dzień dobry!", "pl"}, {"Guten Tag!", "de"}, {"Здравствуйте!", "ru"}}) {
    r = Call("POST", "/api/agent/chat", {{"message", text}}, token);
    const auto t = json::parse(r.body);
    EXPECT_EQ(t["language"], lang) << text;
    EXPECT_NE(t["reply"].get<std::string>().find("Salon Aurora"), std::string::npos) << r.body;
  }
}

TEST_F(AgentTest, PromptChangesAreVersionedValidatedAndRestorable) {
  const auto owner = Register("prompt@aurora.test");
  auto p = json::parse(Call("GET", "/api/agent/prompt", nullptr, owner).body);
  EXPECT_EQ(p["version"], 0);
  EXPECT_EQ(p["role"], "You are a helpful AI assistant for a beauty salon.");
  EXPECT_DOUBLE_EQ(p["temperature"].get<double>(), 0.7);
  EXPECT_EQ(p["max_tokens"], 500);

  auto r = Call("PUT", "/api/agent/prompt", {{"temperature", 0.3}}, owner);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["version"], 1);
  r = Call("PUT", "/api/agent/prompt", {{"instructions", "Always mention the gift cards."}}, owner);
  EXPECT_EQ(json::parse(r.body)["version"], 2);
  EXPECT_NEAR(json::parse(r.body)["temperature"].get<double>(), 0.3, 1e-6);

  for (const auto& [body, field] : std::vector<std::pair<json, std::string>>{
           {{{"temperature", 2.5}}, "temperature"},
           {{{"temperature", "hot"}}, "temperature"},
           {{{"max_tokens", 999999}}, "max_tokens"},
           {{{"max_tokens", 0}}, "max_tokens"},
           {{{"role", ""}}, "role"},
           {{{"tone", "warm"}}, "tone"}}) {
    r = Call("PUT", "/api/agent/prompt", body, owner);
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_EQ(json::parse(r.body)["error"]["field"], field) << r.body;
  }
  const auto versions =
      json::parse(Call("GET", "/api/agent/prompt/versions?limit=1", nullptr, owner).body);
  ASSERT_EQ(versions["items"].size(), 1u);
  EXPECT_EQ(versions["items"][0]["version"], 2);
  EXPECT_EQ(versions["next_cursor"], "2");

  r = Call("POST", "/api/agent/prompt/versions/1/restore", nullptr, owner);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto restored = json::parse(r.body);
  EXPECT_EQ(restored["version"], 3);
  EXPECT_EQ(restored["restored_from"], 1);
  EXPECT_NE(restored["instructions"], "Always mention the gift cards.");
  EXPECT_EQ(Call("POST", "/api/agent/prompt/versions/9/restore", nullptr, owner).status, 404);
}

TEST_F(AgentTest, SandboxTriesADraftAndStoresOrCountsNothing) {
  const auto token = Register("sandbox@aurora.test");
  UploadAndWait(token, "prices_en.md");
  const json draft = {{"refused_topics", {"politics", "crypto investment"}}};
  auto r = Call("POST", "/api/agent/test",
                {{"message", "What do you think about politics? Mail me at ann@example.com"},
                 {"prompt", draft}},
                token);
  ASSERT_EQ(r.status, 200) << r.body;
  auto turn = json::parse(r.body);
  EXPECT_NE(turn["reply"].get<std::string>().find("can't help with that topic"), std::string::npos);
  EXPECT_TRUE(turn["conversation_id"].is_null());
  ASSERT_EQ(turn["checks"].size(), 1u);
  EXPECT_EQ(turn["checks"][0]["event"], "topic_refused");

  r = Call("POST", "/api/agent/test", {{"message", "How much is a gel polish manicure?"}}, token);
  turn = json::parse(r.body);
  EXPECT_NE(turn["reply"].get<std::string>().find("25 EUR"), std::string::npos) << r.body;

  r = Call("POST", "/api/agent/test", {{"message", "hi"}, {"prompt", {{"temperature", 7}}}},
           token);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(json::parse(r.body)["error"]["field"], "prompt.temperature");

  // Nothing stored, nothing counted, and the saved prompt is unchanged.
  EXPECT_EQ(Sql(token, "SELECT count(*) FROM messages"), 0);
  EXPECT_EQ(Sql(token, "SELECT count(*) FROM conversations"), 0);
  EXPECT_EQ(Sql(token, "SELECT count(*) FROM agent_audit"), 0);
  const auto usage =
      json::parse(Call("GET", "/api/subscriptions/usage", nullptr, token).body)["usage"];
  EXPECT_EQ(usage["messages"]["used"], 0);
  EXPECT_EQ(json::parse(Call("GET", "/api/agent/prompt", nullptr, token).body)["version"], 0);
}

TEST_F(AgentTest, RefusedTopicsAreAuditedWithPersonalDataMasked) {
  const auto owner = Register("audit@aurora.test");
  ASSERT_EQ(Call("PUT", "/api/agent/prompt", {{"refused_topics", {"politics"}}}, owner).status, 200);
  auto r = Call("POST", "/api/agent/chat",
                {{"message", "Politics! Call me on +380 67 123 45 67 or ann.k@example.com, card "
                             "4111 1111 1111 1111"}},
                owner);
  ASSERT_EQ(r.status, 200) << r.body;
  const auto audit = json::parse(Call("GET", "/api/agent/audit", nullptr, owner).body);
  ASSERT_EQ(audit["items"].size(), 1u);
  const std::string detail = audit["items"][0]["detail"];
  EXPECT_EQ(audit["items"][0]["event"], "topic_refused");
  for (const char* pii : {"123 45 67", "ann.k@example.com", "4111 1111 1111 1111"})
    EXPECT_EQ(detail.find(pii), std::string::npos) << detail;
  EXPECT_NE(detail.find("[email]"), std::string::npos) << detail;
  // The salon sees what the client wrote.
  EXPECT_EQ(Sql(owner, "SELECT count(*) FROM messages WHERE text LIKE '%ann.k@example.com%'"), 1);
}

TEST_F(AgentTest, TelegramClientGetsThePriceAndTheFreePlanWatermark) {
  const auto free = Register("free@aurora.test", "free");
  UploadAndWait(free, "prices_en.md");
  const auto id = ConnectTelegram(free);
  ASSERT_EQ(Deliver(id, TextUpdate(1, "How much is eyebrow tinting?")), 200);
  ASSERT_TRUE(telegram_.WaitForSent(1, 20s));
  const std::string reply = telegram_.sent()[0].params["text"];
  EXPECT_NE(reply.find("Eyebrow tinting: 10 EUR"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Powered by Sloth"), std::string::npos) << reply;
}

TEST_F(AgentTest, PaidPlansHaveNoWatermark) {
  const auto paid = Register("paid@aurora.test", "starter");
  const auto id = ConnectTelegram(paid);
  ASSERT_EQ(Deliver(id, TextUpdate(2, "Hello!")), 200);
  ASSERT_TRUE(telegram_.WaitForSent(1, 20s));
  const std::string reply = telegram_.sent()[0].params["text"];
  EXPECT_NE(reply.find("Salon Aurora"), std::string::npos) << reply;
  EXPECT_EQ(reply.find("Powered by"), std::string::npos) << reply;
}

TEST_F(AgentTest, HandoffSilencesTheAgentAndStaffRepliesReachTheClient) {
  const auto token = Register("handoff@aurora.test");
  const auto id = ConnectTelegram(token);
  ASSERT_EQ(Deliver(id, TextUpdate(10, "Can I talk to a human please?")), 200);
  ASSERT_TRUE(telegram_.WaitForSent(1, 20s));
  EXPECT_NE(telegram_.sent()[0].params["text"].get<std::string>().find("passed the conversation"),
            std::string::npos);
  const auto conversations =
      json::parse(Call("GET", "/api/conversations?mode=human", nullptr, token).body);
  ASSERT_EQ(conversations["items"].size(), 1u);
  const auto conversation = conversations["items"][0]["id"].get<std::int64_t>();

  // The client writes again: stored, not answered by the agent.
  ASSERT_EQ(Deliver(id, TextUpdate(11, "Is anyone there?")), 200);
  ASSERT_TRUE(WaitJobsDone());
  EXPECT_EQ(telegram_.sent().size(), 1u);
  EXPECT_EQ(Sql(token, "SELECT count(*) FROM messages WHERE text = 'Is anyone there?'"), 1);

  // Staff reply through the API; the channel delivers it.
  const auto path = "/api/conversations/" + std::to_string(conversation);
  auto r = Call("POST", path + "/messages", {{"text", "Hi Olha, this is Maria from the salon."}},
                token);
  ASSERT_EQ(r.status, 201) << r.body;
  ASSERT_TRUE(telegram_.WaitForSent(2, 20s));
  EXPECT_EQ(telegram_.sent()[1].params["text"], "Hi Olha, this is Maria from the salon.");
  EXPECT_EQ(Call("POST", path + "/messages", {{"text", ""}}, token).status, 400);

  // Back to the agent: the next message is answered again.
  r = Call("POST", path + "/handoff", {{"mode", "agent"}}, token);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["mode"], "agent");
  EXPECT_EQ(Call("POST", path + "/handoff", {{"mode", "robot"}}, token).status, 400);
  ASSERT_EQ(Deliver(id, TextUpdate(12, "Thank you!")), 200);
  ASSERT_TRUE(telegram_.WaitForSent(3, 20s));
  // The staff's line is part of what the agent reads next.
  EXPECT_EQ(Sql(token, "SELECT count(*) FROM messages WHERE author = 'staff'"), 1);
}

TEST_F(AgentTest, IdleConversationsAreSummarisedAndTheSummaryIsKept) {
  const auto token = Register("memory@aurora.test");
  UploadAndWait(token, "prices_en.md");
  auto r = Call("POST", "/api/agent/chat", {{"message", "How much is a classic pedicure?"}}, token);
  const auto conversation = json::parse(r.body)["conversation_id"].get<std::int64_t>();
  Call("POST", "/api/agent/chat",
       {{"message", "And brow lamination?"}, {"conversation_id", conversation}}, token);
  // A day passes.
  Sql(token,
      "WITH u AS (UPDATE conversations SET last_message_at = now() - interval '25 hours' "
      "RETURNING 1) SELECT count(*) FROM u");
  const auto me = json::parse(Call("GET", "/api/auth/me", nullptr, token).body);
  EXPECT_EQ(app_->agent().SummarizeIdle(me["organization"]["id"].get<std::int64_t>(), 10), 1);
  const auto summary = SqlText(token, "SELECT summary FROM conversations");
  EXPECT_NE(summary.find("classic pedicure"), std::string::npos) << summary;
  EXPECT_EQ(Sql(token, "SELECT count(*) FROM messages"), 4);  // the raw messages stay
  // Nothing new since: nothing to summarise again.
  EXPECT_EQ(app_->agent().SummarizeIdle(me["organization"]["id"].get<std::int64_t>(), 10), 0);
}

// The offline agent over the shipped evaluation knowledge: the reply must contain the
// labelled fact. Prints the rate (bench/RESULTS.md records it).
TEST_F(AgentTest, OfflineAnswersContainTheExpectedFact) {
  const auto token = Register("eval@aurora.test");
  std::vector<std::string> files;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(SLOTH_SOURCE_DIR) + "/tests/testdata/eval"))
    if (e.path().extension() == ".md") files.push_back(e.path().filename().string());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) UploadAndWait(token, f);
  const auto questions = json::parse(ReadFile("eval/questions.json"));
  ASSERT_GE(questions.size(), 80u);
  std::map<std::string, std::pair<int, int>> by_language;  // language -> (right, asked)
  int right = 0;
  for (const auto& q : questions) {
    auto r = Call("POST", "/api/agent/test", {{"message", q["q"]}}, token);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto turn = json::parse(r.body);
    const bool ok =
        turn["reply"].get<std::string>().find(q["a"].get<std::string>()) != std::string::npos;
    right += ok;
    auto& [l_right, l_asked] = by_language[turn["language"].get<std::string>()];
    l_right += ok;
    ++l_asked;
    if (!ok) std::printf("missed: %s\n", q["q"].get<std::string>().c_str());
  }
  const double rate = static_cast<double>(right) / static_cast<double>(questions.size());
  std::printf("| offline answers (%zu questions) | contain the fact |\n|---|---|\n| all | %.3f |\n",
              questions.size(), rate);
  for (const auto& [lang, counts] : by_language)
    std::printf("| %s (%d) | %.3f |\n", lang.c_str(), counts.second,
                static_cast<double>(counts.first) / counts.second);
  EXPECT_GE(rate, 0.75);
}

}  // namespace
}  // namespace sloth::agent
