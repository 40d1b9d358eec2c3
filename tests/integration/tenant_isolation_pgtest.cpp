// The cross-tenant sweep: organisation B owns one of every kind of object (documents,
// photos, conversations and their messages, an integration, a referral code, booking
// services, specialists, exceptions and bookings, staff and invitations, prompt versions),
// all of them carrying B's marker. Organisation A then calls every route the router has,
// with each of B's real ids in every id position, and the webhook routes with B's
// integration; no answer may carry B's marker, no id route may answer anything but 403 or
// 404, and afterwards B sees exactly what it saw before.

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/host_app.hpp"
#include "booking/availability.hpp"
#include "fakes/fake_telegram.hpp"
#include "support/host_process.hpp"
#include "support/test_db.hpp"
#include "support/wait.hpp"

namespace sloth {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kToken = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";
// Every object of B carries it, in any letter case; a body containing it leaked.
constexpr const char* kMarker = "orchidb";
constexpr const char* kPhone = "+380670000777";

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

class TenantIsolationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = std::filesystem::temp_directory_path() / ("sloth-isolation-" + db_.name());
    const std::string yaml =
        "http:\n  host: 127.0.0.1\n  port: 0\n  public_url: https://sloth.test\ndatabase:\n"
        "  url: \"" +
        db_.url() + "\"\n  pool_size: 8\nplans_file: " + SLOTH_SOURCE_DIR +
        "/config/plans.yaml\nauth:\n  jwt_secret: isolation-secret-0123456789-abcdefghijk\n"
        "secrets:\n  master_key: \"" +
        std::string(64, 'e') +
        "\"\nrate_limits:\n  user_per_hour: 100000\n  anonymous_per_hour: 100000\n"
        "jobs:\n  poll_ms: 100\n  workers: true\nscheduler:\n  enabled: false\n"
        "channels:\n  burst_window_ms: 0\nplugins:\n  dirs: [\"" SLOTH_PLUGIN_DIR
        "\"]\n  config:\n    storage-local: {data_dir: \"" +
        data_dir_.string() +
        "\"}\noutbound_http:\n  allow_private: true\n  rewrite:\n"
        "    \"https://api.telegram.org\": \"" +
        telegram_.base_url() + "\"\n";
    app_ = std::make_unique<app::HostApp>(config::ParseHostConfig(
        yaml, "test.yaml", [](const std::string&) { return std::nullopt; }));
    app_->Start();
  }
  void TearDown() override {
    app_->Stop();
    std::filesystem::remove_all(data_dir_);
  }

  testing::HttpResult Call(const std::string& method, const std::string& path, const json& body,
                           const std::string& token,
                           const std::map<std::string, std::string>& headers = {}) {
    return testing::HttpCall(app_->port(), method, path, body.is_null() ? "" : body.dump(), token,
                             headers);
  }
  json Made(const testing::HttpResult& r, int status = 201) {
    EXPECT_EQ(r.status, status) << r.body;
    return json::parse(r.body, nullptr, false);
  }
  json Register(const std::string& email, const std::string& org) {
    return Made(Call("POST", "/api/auth/register",
                     {{"email", email},
                      {"password", "a long passphrase 42"},
                      {"organization_name", org},
                      {"plan", "professional"}},
                     ""));
  }
  std::int64_t Scalar(const std::string& sql) {
    return app_->pool().InTransaction([&](db::Transaction& tx) { return tx.Exec(sql).Int(0, 0); });
  }

  fakes::FakeTelegram telegram_{kToken};
  testing::TestDatabase db_;
  std::filesystem::path data_dir_;
  std::unique_ptr<app::HostApp> app_;
};

TEST_F(TenantIsolationTest, NoRouteGivesOneOrganisationAnotherOnesObjects) {
  const json a = Register("a@iso.test", "Salon A");
  const json b = Register("orchidb@iso.test", "Orchidb Salon");
  const std::string at = a["access_token"], bt = b["access_token"];
  std::set<std::string> b_ids = {b["user"]["id"].dump(), b["organization"]["id"].dump()};
  const auto keep = [&](const json& j) {
    if (j.contains("id"))
      b_ids.insert(j["id"].is_string() ? j["id"].get<std::string>() : j["id"].dump());
    return j;
  };

  // A document, whole through ingestion so search could find it.
  const auto doc = testing::Multipart(
      "orchidb-prices.txt", "The Orchidb ritual costs 777 UAH and takes two hours.\n", "Orchidb");
  const auto doc_id = keep(Made(
      testing::HttpCall(app_->port(), "POST", "/api/documents/upload", doc.body, bt, doc.headers),
      202))["id"]
                          .dump();
  std::string status;
  testing::WaitUntil(
      [&] {
        status =
            Made(Call("GET", "/api/documents/" + doc_id + "/status", nullptr, bt), 200)["status"];
        return status == "completed" || status == "failed";
      },
      60s, 100ms);
  ASSERT_EQ(status, "completed");
  // A photo (no vision provider: kept unanalysed, named).
  const std::string boundary = "iso-b0undary";
  keep(Made(testing::HttpCall(
                app_->port(), "POST", "/api/photos/upload",
                "--" + boundary +
                    "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"orchidb.jpg\""
                    "\r\n\r\n" +
                    std::string("\xFF\xD8\xFF\xE0", 4) + "jpeg\r\n--" + boundary + "--\r\n",
                bt, {{"Content-Type", "multipart/form-data; boundary=" + boundary}}),
            202));
  // An integration, and a conversation through it with a reply and a staff message.
  const std::string integration = keep(
      Made(Call("POST", "/api/integrations/telegram/connect", {{"bot_token", kToken}}, bt)))["id"];
  const json update = {{"update_id", 1},
                       {"message",
                        {{"message_id", 7},
                         {"from", {{"id", 4242}, {"is_bot", false}, {"first_name", "Orchidb"}}},
                         {"chat", {{"id", 4242}, {"first_name", "Orchidb"}, {"type", "private"}}},
                         {"date", 1441645532},
                         {"text", "Orchidb here: how much is a manicure?"}}}};
  const std::map<std::string, std::string> hook_headers = {
      {"Content-Type", "application/json"},
      {"X-Telegram-Bot-Api-Secret-Token", telegram_.webhook_secret()}};
  ASSERT_EQ(Call("POST", "/hooks/telegram/" + integration, update, "", hook_headers).status, 200);
  ASSERT_TRUE(telegram_.WaitForSent(1, 30s));
  const json conversations = Made(Call("GET", "/api/conversations", nullptr, bt), 200);
  ASSERT_FALSE(conversations["items"].empty()) << conversations;
  const std::string conversation = keep(conversations["items"][0])["id"].dump();
  keep(Made(Call("POST", "/api/conversations/" + conversation + "/messages",
                 {{"text", "Orchidb staff: 45 EUR."}}, bt)));
  // The referral code, the prompt, staff and an invitation.
  const std::string code = Made(Call("GET", "/api/referrals/my-code", nullptr, bt), 200)["code"];
  ASSERT_FALSE(code.empty());
  Made(Call("PUT", "/api/agent/prompt", {{"instructions", "Always mention Orchidb."}}, bt), 200);
  const json inv =
      keep(Made(Call("POST", "/api/auth/invite", {{"email", "orchidb-staff@iso.test"}}, bt)));
  keep(Made(Call("POST", "/api/auth/invite/accept",
                 {{"token", inv["invite_token"]}, {"password", "another passphrase 7"}},
                 ""))["user"]);
  keep(Made(Call("POST", "/api/auth/invite", {{"email", "orchidb-pending@iso.test"}}, bt)));
  // Booking: a specialist with hours and an exception, a service, a booking.
  const std::string specialist =
      keep(Made(Call("POST", "/api/booking/specialists", {{"name", "Orchidb Anna"}}, bt)))["id"]
          .dump();
  json hours = json::array();
  for (int d = 1; d <= 7; ++d)
    hours.push_back({{"weekday", d}, {"start", "09:00"}, {"end", "18:00"}});
  Made(Call("PUT", "/api/booking/specialists/" + specialist + "/hours", {{"hours", hours}}, bt),
       200);
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  const std::string day = booking::FormatDate(booking::LocalDate(now + 240h, "UTC"));
  const std::string later = booking::FormatDate(booking::LocalDate(now + 264h, "UTC"));
  keep(Made(Call("POST", "/api/booking/specialists/" + specialist + "/exceptions",
                 {{"date", later}, {"note", "Orchidb holiday"}}, bt)));
  const json service = keep(Made(Call("POST", "/api/booking/services",
                                      {{"name", "Orchidb manicure"},
                                       {"duration_slots", 2},
                                       {"price", 45000},
                                       {"currency", "UAH"},
                                       {"min_notice_minutes", 0},
                                       {"specialist_ids", {std::stoll(specialist)}}},
                                      bt)));
  keep(Made(Call("POST", "/api/booking/bookings",
                 {{"service_id", service["id"]},
                  {"specialist_id", std::stoll(specialist)},
                  {"start", day + "T10:00:00Z"},
                  {"client", {{"name", "Orchidb Client"}, {"phone", kPhone}}}},
                 bt)));
  ASSERT_TRUE(testing::WaitForQuietJobs(db_.url(), 30s));

  // What B sees on every list and settings route, before A's sweep.
  std::map<std::string, std::string> b_view;
  for (const auto& route : app_->router().routes()) {
    if (route.method != "GET" || !route.options.tenant_scoped ||
        route.pattern.find('{') != std::string::npos)
      continue;
    const auto r = Call("GET", route.pattern, nullptr, bt);
    b_view[route.pattern] = std::to_string(r.status) + " " + r.body;
  }
  EXPECT_NE(Lower(b_view["/api/documents"]).find(kMarker), std::string::npos);
  EXPECT_NE(Lower(b_view["/api/photos"]).find(kMarker), std::string::npos);
  EXPECT_NE(Lower(b_view["/api/conversations"]).find(kMarker), std::string::npos);
  EXPECT_NE(b_view["/api/booking/bookings"].find(kPhone), std::string::npos);

  const auto leaks = [&](const std::string& what, const testing::HttpResult& r) {
    const std::string body = Lower(r.body);
    EXPECT_EQ(body.find(kMarker), std::string::npos) << what << " leaked B's marker: " << r.body;
    EXPECT_EQ(r.body.find(kPhone), std::string::npos) << what << " leaked B's client";
    EXPECT_EQ(r.body.find(code), std::string::npos) << what << " leaked B's referral code";
  };

  // Every route with an id, with each of B's ids; then the routes without one. Routes that
  // end A's own session or subscription go last so the rest still run authenticated.
  std::vector<const http::Route*> routes;
  for (const auto& route : app_->router().routes()) routes.push_back(&route);
  const auto rank = [](const http::Route* r) {
    if (r->pattern.find('{') != std::string::npos) return 0;
    if (r->pattern == "/api/auth/logout" || r->pattern == "/api/auth/password" ||
        r->pattern == "/api/subscriptions/cancel")
      return 2;
    return 1;
  };
  std::stable_sort(routes.begin(), routes.end(),
                   [&](auto* l, auto* r) { return rank(l) < rank(r); });
  int with_ids = 0, without = 0;
  for (const auto* route : routes) {
    if (route->pattern.rfind("/hooks/", 0) == 0) continue;  // below, unauthenticated
    if (route->pattern.find('{') == std::string::npos) {
      ++without;
      leaks(route->method + " " + route->pattern,
            Call(route->method, route->pattern, json::object(), at));
      continue;
    }
    // {n} is an ordinal within the caller's own organisation (a prompt version): A's own
    // version n exists, so only a leak would be wrong there.
    const bool ordinal = route->pattern.find("{n}") != std::string::npos;
    for (const auto& id : b_ids) {
      const std::string path = std::regex_replace(route->pattern, std::regex(R"(\{[^}]+\})"), id);
      // A body that passes validation where one is needed, so the lookup is what refuses.
      json body = json::object();
      if (route->method == "PUT" && route->pattern == "/api/booking/services/{id}")
        body = {{"name", "Renamed"}};
      if (route->method == "PUT" && route->pattern == "/api/booking/specialists/{id}")
        body = {{"name", "Renamed"}};
      if (route->pattern == "/api/booking/specialists/{id}/hours") body = {{"hours", hours}};
      if (route->pattern == "/api/booking/specialists/{id}/exceptions")
        body = {{"date", later}, {"note", "x"}};
      if (route->pattern == "/api/booking/bookings/{id}" && route->method == "PUT")
        body = {{"start", day + "T12:00:00Z"}};
      if (route->pattern == "/api/conversations/{id}/messages") body = {{"text", "hello"}};
      if (route->pattern == "/api/conversations/{id}/handoff") body = {{"mode", "human"}};
      const auto r = Call(route->method, path, body, at);
      ++with_ids;
      leaks(route->method + " " + path, r);
      if (!ordinal) {
        EXPECT_TRUE(r.status == 404 || r.status == 403)
            << route->method << " " << path << " -> " << r.status << " " << r.body;
      }
    }
  }
  EXPECT_GE(without, 30);
  EXPECT_GE(with_ids, 20 * static_cast<int>(b_ids.size()));

  // A's own questions, which only B's knowledge could answer (asked after the sweep: A owns
  // no object until now, so no id of B's could have named one of A's). The marker is not in
  // the question, so A's own conversation cannot echo it.
  leaks("search",
        Call("POST", "/api/knowledge/search",
             {{"query", "ritual costs 777 UAH two hours"}, {"top_k", 10}, {"mode", "hybrid"}}, at));
  leaks("chat",
        Call("POST", "/api/agent/chat", {{"message", "How much is the ritual, 777 UAH?"}}, at));

  // The webhook routes: B's integration without its secret, with a wrong one, through
  // another plugin's path, and WhatsApp's verification with a guessed token.
  const std::size_t events = static_cast<std::size_t>(
      Scalar("SELECT count(*) FROM tenant_" + b["organization"]["id"].dump() + ".inbound_events"));
  json forged = update;
  forged["update_id"] = 2;
  forged["message"]["text"] = "forged";
  for (const auto& [what, headers] :
       std::vector<std::pair<std::string, std::map<std::string, std::string>>>{
           {"no secret", {{"Content-Type", "application/json"}}},
           {"wrong secret",
            {{"Content-Type", "application/json"},
             {"X-Telegram-Bot-Api-Secret-Token", "guess"}}}}) {
    const auto r = Call("POST", "/hooks/telegram/" + integration, forged, "", headers);
    EXPECT_TRUE(r.status == 401 || r.status == 403) << what << " -> " << r.status;
    leaks("hook " + what, r);
  }
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"POST", "/hooks/whatsapp/" + integration},
           {"GET", "/hooks/whatsapp/" + integration +
                       "?hub.mode=subscribe&hub.challenge=5&hub.verify_token=guess"},
           {"POST", "/hooks/billing/stripe"}}) {
    const auto r = Call(method, path, forged, "", {{"Content-Type", "application/json"}});
    EXPECT_GE(r.status, 400) << method << " " << path << " -> " << r.status;
    leaks("hook " + path, r);
  }
  EXPECT_EQ(
      Scalar("SELECT count(*) FROM tenant_" + b["organization"]["id"].dump() + ".inbound_events"),
      static_cast<std::int64_t>(events));

  // B sees exactly what it saw.
  ASSERT_TRUE(testing::WaitForQuietJobs(db_.url(), 30s));
  for (const auto& [pattern, before] : b_view) {
    const auto r = Call("GET", pattern, nullptr, bt);
    EXPECT_EQ(std::to_string(r.status) + " " + r.body, before) << pattern;
  }
  EXPECT_EQ(telegram_.attempts().size(), 2u);  // B's reply and B's staff message, nothing of A's
}

}  // namespace
}  // namespace sloth
