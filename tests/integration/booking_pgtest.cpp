// Booking end to end: the catalogue, availability, bookings that never collide (the
// database's exclusion constraint under 50 concurrent attempts), moves and cancels, and
// booking through the assistant with the offline model.

#include <array>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <Poco/URI.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/host_app.hpp"
#include "booking/availability.hpp"
#include "fakes/fake_google.hpp"
#include "fakes/fake_telegram.hpp"
#include "fakes/fake_whatsapp.hpp"
#include "jobs/job_queue.hpp"
#include "support/host_process.hpp"
#include "support/test_db.hpp"

namespace sloth::booking {
namespace {

using json = nlohmann::json;

class BookingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_dir_ = std::filesystem::temp_directory_path() / ("sloth-booking-" + db_.name());
    const std::string yaml =
        "http:\n  host: 127.0.0.1\n  port: 0\n  max_threads: 64\n  public_url: "
        "https://sloth.test\ndatabase:\n  url: \"" +
        db_.url() + "\"\n  pool_size: 16\nplans_file: " + SLOTH_SOURCE_DIR +
        "/config/plans.yaml\nauth:\n  jwt_secret: booking-secret-0123456789-abcdefghijk\n"
        "secrets:\n  master_key: \"" +
        std::string(64, 'f') +
        "\"\nrate_limits:\n  user_per_hour: 100000\njobs:\n  poll_ms: 100\n  workers: " +
        std::string(workers_ ? "true" : "false") +
        "\nscheduler:\n  enabled: false\n"
        // The races below run fifty chats of one organisation at once on purpose.
        "plugins:\n  max_calls_per_tenant: 64\n  dirs: [\"" SLOTH_PLUGIN_DIR
        "\"]\n  config:\n    storage-local: {data_dir: \"" +
        data_dir_.string() + "\"}\n" + extra_yaml_;
    app_ = std::make_unique<app::HostApp>(config::ParseHostConfig(
        yaml, "test.yaml", [](const std::string&) { return std::nullopt; }));
    app_->Start();
    token_ = Register("owner@aurora.test");
    // Kyiv time; Anna and Olha work every day 09:00-18:00; a manicure takes two slots.
    EXPECT_EQ(Call("PUT", "/api/auth/profile", {{"timezone", "Europe/Kyiv"}}).status, 200);
    anna_ = json::parse(Call("POST", "/api/booking/specialists", {{"name", "Anna"}}).body)["id"];
    olha_ = json::parse(Call("POST", "/api/booking/specialists", {{"name", "Olha"}}).body)["id"];
    json hours = json::array();
    for (int d = 1; d <= 7; ++d)
      hours.push_back({{"weekday", d}, {"start", "09:00"}, {"end", "18:00"}});
    for (auto id : {anna_, olha_}) {
      auto r = Call("PUT", "/api/booking/specialists/" + std::to_string(id) + "/hours",
                    {{"hours", hours}});
      EXPECT_EQ(r.status, 200) << r.body;
    }
    auto s = Call("POST", "/api/booking/services",
                  {{"name", "Манікюр / Manicure"},
                   {"duration_slots", 2},
                   {"price", 45000},
                   {"currency", "UAH"},
                   {"min_notice_minutes", 0},
                   {"specialist_ids", {anna_, olha_}}});
    EXPECT_EQ(s.status, 201) << s.body;
    manicure_ = json::parse(s.body)["id"];
    // A day that is surely bookable: ten days from now, in Kyiv.
    const auto now =
        std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    day_ = FormatDate(LocalDate(now + std::chrono::hours(24 * 10), "Europe/Kyiv"));
  }
  void TearDown() override {
    app_->Stop();
    std::filesystem::remove_all(data_dir_);
  }

  std::string Register(const std::string& email) {
    auto r = testing::HttpCall(app_->port(), "POST", "/api/auth/register",
                               json{{"email", email},
                                    {"password", "a long passphrase 42"},
                                    {"organization_name", "Salon Aurora"},
                                    {"plan", "professional"}}
                                   .dump());
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body)["access_token"];
  }

  testing::HttpResult Call(const std::string& method, const std::string& path,
                           const json& body = nullptr,
                           const std::map<std::string, std::string>& headers = {}) {
    return testing::HttpCall(app_->port(), method, path, body.is_null() ? "" : body.dump(), token_,
                             headers);
  }

  std::string At(const std::string& clock) const {
    // The offset of that day in Kyiv (+02:00 or +03:00), read back from the server's zone.
    const auto t = *ParseTimestamp(day_ + "T" + clock + ":00+02:00");
    const std::string shown = FormatTimestamp(t, "Europe/Kyiv");
    return shown.substr(11, 5) == clock ? shown
                                        : FormatTimestamp(t - std::chrono::hours(1), "Europe/Kyiv");
  }

  json Book(const std::string& clock, std::int64_t specialist, int expect = 201,
            const std::map<std::string, std::string>& headers = {}) {
    auto r = Call("POST", "/api/booking/bookings",
                  {{"service_id", manicure_},
                   {"specialist_id", specialist},
                   {"start", At(clock)},
                   {"client", {{"name", "Olena"}, {"phone", "+380671234567"}}}},
                  headers);
    EXPECT_EQ(r.status, expect) << r.body;
    return json::parse(r.body, nullptr, false);
  }

  // One turn of the assistant's web chat (the offline model).
  json Chat(const std::string& text, std::optional<std::int64_t> conversation) {
    json body = {{"message", text}};
    if (conversation) body["conversation_id"] = *conversation;
    auto r = Call("POST", "/api/agent/chat", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  }

  // `n` attempts at once; each says whether it won (1), was offered alternatives (2) or
  // neither (0). Returns the three counts.
  std::array<int, 3> Race(int n, const std::function<int(int)>& attempt) {
    std::array<std::atomic<int>, 3> counts{};
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) threads.emplace_back([&, i] { ++counts[attempt(i)]; });
    for (auto& t : threads) t.join();
    return {counts[1].load(), counts[2].load(), counts[0].load()};
  }

  // Queues a job for the test's organisation (workers off: the test drains it).
  void Queue(const std::string& kind, const json& payload = json::object()) {
    app_->pool().InTransaction([&](db::Transaction& tx) {
      jobs::EnqueueOptions o;
      o.tenant_id = 1;
      jobs::Enqueue(tx, kind, payload, o);
    });
  }

  std::int64_t Live() {
    return app_->pool().InTransaction([&](db::Transaction& tx) {
      return tx.Exec("SELECT count(*) FROM tenant_1.bookings WHERE status <> 'cancelled'")
          .Int(0, 0);
    });
  }

  // Set by a derived fixture's constructor: plugin config lines (under plugins.config,
  // then top-level sections), and whether workers run (false: the test drains the queue).
  std::string extra_yaml_;
  bool workers_ = true;
  testing::TestDatabase db_;
  std::filesystem::path data_dir_;
  std::unique_ptr<app::HostApp> app_;
  std::string token_, day_;
  std::int64_t anna_ = 0, olha_ = 0, manicure_ = 0;
};

TEST_F(BookingTest, AvailabilityThenBookingsThatNeverCollide) {
  auto r = Call("GET", "/api/booking/availability?service=" + std::to_string(manicure_) +
                           "&date=" + day_ + "&specialist=" + std::to_string(anna_));
  ASSERT_EQ(r.status, 200) << r.body;
  auto slots = json::parse(r.body)["slots"];
  ASSERT_EQ(slots.size(), 17u);  // 09:00 .. 17:00 every 30 min, an hour each
  EXPECT_EQ(slots[0]["start"], At("09:00"));
  EXPECT_EQ(slots[0]["end"], At("10:00"));

  const auto b = Book("10:00", anna_);
  EXPECT_EQ(b["status"], "confirmed");
  EXPECT_EQ(b["end"], At("11:00"));
  EXPECT_EQ(b["price"], 45000);
  // 09:30, 10:00, 10:30 are gone for Anna; Olha is still free at 10:00.
  slots = json::parse(Call("GET", "/api/booking/availability?service=" + std::to_string(manicure_) +
                                      "&date=" + day_)
                          .body)["slots"];
  int anna_count = 0;
  for (const auto& s : slots) anna_count += s["specialist_id"] == anna_;
  EXPECT_EQ(anna_count, 14);

  // The same slot again: 409 with the nearest alternatives at the top level.
  const auto taken = Book("10:00", anna_, 409);
  EXPECT_EQ(taken["error"]["code"], "conflict");
  ASSERT_EQ(taken["alternatives"].size(), 3u) << taken;
  // The three nearest, in time order: Olha at 09:30, 10:00 (the very time) and 10:30.
  EXPECT_EQ(taken["alternatives"][1]["start"], At("10:00"));
  EXPECT_EQ(taken["alternatives"][1]["specialist_id"], olha_);
  EXPECT_EQ(taken["error"]["details"]["reason"], "slot_taken");

  // Outside the hours or off the grid: a clear 400 naming start.
  EXPECT_EQ(Book("08:00", anna_, 400)["error"]["field"], "start");
  EXPECT_EQ(Book("10:10", olha_, 400)["error"]["field"], "start");
  EXPECT_EQ(Book("17:30", olha_, 400)["error"]["field"], "start");
}

TEST_F(BookingTest, FiftyConcurrentAttemptsOnOneSlotMakeOneBooking) {
  const auto [created, conflicts, other] = Race(50, [&](int) {
    auto r = Call("POST", "/api/booking/bookings",
                  {{"service_id", manicure_},
                   {"specialist_id", anna_},
                   {"start", At("12:00")},
                   {"client", {{"name", "Racer"}}}});
    if (r.status == 201) return 1;
    return r.status == 409 && json::parse(r.body).contains("alternatives") ? 2 : 0;
  });
  EXPECT_EQ(created, 1);
  EXPECT_EQ(conflicts, 49);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(Live(), 1);
}

TEST_F(BookingTest, IdempotentCreateMovesKeepIdentityAndCancelTwiceIsAConflict) {
  const auto first = Book("14:00", anna_, 201, {{"Idempotency-Key", "req-42"}});
  const auto again = Book("14:00", anna_, 200, {{"Idempotency-Key", "req-42"}});
  EXPECT_EQ(first["id"], again["id"]);
  EXPECT_EQ(Live(), 1);
  const std::string path = "/api/booking/bookings/" + first["id"].dump();

  // Two moves: one booking, at the second time, version 3.
  auto r = Call("PUT", path, {{"start", At("15:00")}});
  ASSERT_EQ(r.status, 200) << r.body;
  r = Call("PUT", path, {{"start", At("16:00")}, {"specialist_id", olha_}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto moved = json::parse(r.body);
  EXPECT_EQ(moved["id"], first["id"]);
  EXPECT_EQ(moved["start"], At("16:00"));
  EXPECT_EQ(moved["specialist_id"], olha_);
  EXPECT_EQ(moved["version"], 3);
  EXPECT_EQ(Live(), 1);
  const auto detail = json::parse(Call("GET", path).body);
  ASSERT_EQ(detail["history"].size(), 3u);
  EXPECT_EQ(detail["history"][2]["event"], "moved");
  // The old times are free again.
  EXPECT_EQ(Book("14:00", anna_)["status"], "confirmed");

  // A move onto a taken time: 409 and the booking stays where it was.
  r = Call("PUT", path, {{"start", At("14:00")}, {"specialist_id", anna_}});
  EXPECT_EQ(r.status, 409) << r.body;

  r = Call("DELETE", path);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["status"], "cancelled");
  r = Call("DELETE", path);
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(json::parse(r.body)["error"]["message"].get<std::string>().find("already cancelled"),
            std::string::npos);
  EXPECT_EQ(Call("PUT", path, {{"start", At("11:00")}}).status, 409);

  // Lists filter by day, specialist, status and client.
  auto list =
      json::parse(Call("GET", "/api/booking/bookings?date=" + day_ + "&status=confirmed").body);
  EXPECT_EQ(list["items"].size(), 1u);
  list = json::parse(Call("GET", "/api/booking/bookings?client=Olena&limit=1").body);
  EXPECT_EQ(list["items"].size(), 1u);
  EXPECT_FALSE(list["next_cursor"].is_null());
  // Completed and no-show only from confirmed.
  const auto id =
      json::parse(Call("GET", "/api/booking/bookings?status=confirmed").body)["items"][0]["id"];
  EXPECT_EQ(Call("POST", "/api/booking/bookings/" + id.dump() + "/complete").status, 200);
  EXPECT_EQ(Call("POST", "/api/booking/bookings/" + id.dump() + "/no-show").status, 409);
}

TEST_F(BookingTest, AnExceptionDayHasNoSlotsAndBadInputIsNamed) {
  auto r = Call("POST", "/api/booking/specialists/" + std::to_string(anna_) + "/exceptions",
                {{"date", day_}, {"note", "holiday"}});
  ASSERT_EQ(r.status, 201) << r.body;
  r = Call("GET", "/api/booking/availability?service=" + std::to_string(manicure_) +
                      "&date=" + day_ + "&specialist=" + std::to_string(anna_));
  EXPECT_TRUE(json::parse(r.body)["slots"].empty()) << r.body;
  // Changed hours on another day.
  r = Call("POST", "/api/booking/specialists/" + std::to_string(olha_) + "/exceptions",
           {{"date", day_}, {"start", "12:00"}, {"end", "14:00"}});
  ASSERT_EQ(r.status, 201);
  r = Call("GET",
           "/api/booking/availability?service=" + std::to_string(manicure_) + "&date=" + day_);
  EXPECT_EQ(json::parse(r.body)["slots"].size(), 3u) << r.body;  // Olha 12:00, 12:30, 13:00

  EXPECT_EQ(
      json::parse(
          Call("GET", "/api/booking/availability?service=x&date=" + day_).body)["error"]["field"],
      "service");
  EXPECT_EQ(
      json::parse(
          Call("GET", "/api/booking/availability?service=1&date=tomorrow").body)["error"]["field"],
      "date");
  r = Call("PUT", "/api/booking/specialists/" + std::to_string(anna_) + "/hours",
           {{"hours", {{{"weekday", 8}, {"start", "09:00"}, {"end", "10:00"}}}}});
  EXPECT_EQ(json::parse(r.body)["error"]["field"], "weekday");
  r = Call("PUT", "/api/booking/specialists/" + std::to_string(anna_) + "/hours",
           {{"hours", {{{"weekday", 1}, {"start", "10:00"}, {"end", "09:00"}}}}});
  EXPECT_EQ(json::parse(r.body)["error"]["field"], "hours[0].end");
  r = Call("POST", "/api/booking/services", {{"name", "X"}, {"duration_slots", 0}});
  EXPECT_EQ(json::parse(r.body)["error"]["field"], "duration_slots");
  r = Call("POST", "/api/booking/bookings",
           {{"service_id", manicure_},
            {"specialist_id", anna_},
            {"start", "tomorrow"},
            {"client", {{"name", "A"}}}});
  EXPECT_EQ(json::parse(r.body)["error"]["field"], "start");
}

// The assistant books, moves and cancels with the offline model, confirming first.
TEST_F(BookingTest, TheOfflineAssistantBooksMovesAndCancelsAfterAYes) {
  // "tomorrow" would depend on today's hours; ask for the test's day by date.
  auto t = Chat("Book a manicure with Anna on " + day_ + " at 10", std::nullopt);
  const auto conversation = t["conversation_id"].get<std::int64_t>();
  EXPECT_NE(t["reply"].get<std::string>().find("Shall I book"), std::string::npos) << t;
  EXPECT_EQ(Live(), 0);  // nothing before the yes
  t = Chat("yes", conversation);
  EXPECT_NE(t["reply"].get<std::string>().find("Booked"), std::string::npos) << t;
  EXPECT_EQ(Live(), 1);
  auto list = json::parse(Call("GET", "/api/booking/bookings?status=confirmed").body);
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["start"], At("10:00"));
  EXPECT_EQ(list["items"][0]["specialist_id"], anna_);
  EXPECT_EQ(list["items"][0]["source"], "agent");

  // Moving: the client's own booking, to 12, after a yes.
  t = Chat("Перенесіть, будь ласка, на 12:00", conversation);
  EXPECT_NE(t["reply"].get<std::string>().find("Перенести"), std::string::npos) << t;
  t = Chat("так", conversation);
  EXPECT_NE(t["reply"].get<std::string>().find("Готово"), std::string::npos) << t;
  list = json::parse(Call("GET", "/api/booking/bookings?status=confirmed").body);
  EXPECT_EQ(list["items"][0]["start"], At("12:00"));
  EXPECT_EQ(list["items"][0]["version"], 2);

  // A no drops the question; nothing changes.
  t = Chat("Please cancel my appointment", conversation);
  EXPECT_NE(t["reply"].get<std::string>().find("Shall I cancel"), std::string::npos) << t;
  t = Chat("no", conversation);
  EXPECT_EQ(Live(), 1);
  t = Chat("Please cancel my appointment", conversation);
  t = Chat("yes please", conversation);
  EXPECT_NE(t["reply"].get<std::string>().find("Cancelled"), std::string::npos) << t;
  EXPECT_EQ(Live(), 0);

  // In Ukrainian, a taken time gets alternatives instead of a booking.
  Book("11:00", anna_);
  Book("11:00", olha_);
  t = Chat("Запишіть мене на манікюр " + day_ + " о 11:00", std::nullopt);
  EXPECT_NE(t["reply"].get<std::string>().find("Найближчий вільний"), std::string::npos) << t;
}

// 50 clients of the assistant say "yes" to the same slot at once: one booking, and each
// of the others is offered the nearest free times.
TEST_F(BookingTest, FiftyAssistantConversationsRaceForOneSlot) {
  std::vector<std::int64_t> conversations;
  for (int i = 0; i < 50; ++i) {
    auto r = Call("POST", "/api/agent/chat",
                  {{"message", "Book a manicure with Anna on " + day_ + " at 12"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto t = json::parse(r.body);
    ASSERT_NE(t["reply"].get<std::string>().find("Shall I book"), std::string::npos) << t;
    conversations.push_back(t["conversation_id"]);
  }
  const auto [booked, offered, other] = Race(50, [&](int i) {
    auto r =
        Call("POST", "/api/agent/chat",
             {{"message", "yes"}, {"conversation_id", conversations[static_cast<std::size_t>(i)]}});
    const std::string reply =
        r.status == 200 ? json::parse(r.body)["reply"].get<std::string>() : r.body;
    if (reply.find("Booked") != std::string::npos) return 1;
    return reply.find("The nearest free times") != std::string::npos ? 2 : 0;
  });
  EXPECT_EQ(booked, 1);
  EXPECT_EQ(offered, 49);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(Live(), 1);
}

// Google Calendar connected through the consent screen (fake Google: OAuth and Calendar
// API in their real formats). Workers are off: the test runs each job it expects.
class CalendarTest : public BookingTest {
 protected:
  CalendarTest() {
    setenv("SLOTH_PLUGIN_GCALENDAR_CLIENT_SECRET", "gsecret-fake", 1);
    workers_ = false;
    extra_yaml_ =
        "    gcalendar: {client_id: \"sloth.apps.googleusercontent.com\", backoff_ms: 5}\n"
        "outbound_http:\n  allow_private: true\n  rewrite:\n"
        "    \"https://oauth2.googleapis.com\": \"" +
        google_.base_url() + "\"\n" + "    \"https://www.googleapis.com\": \"" +
        google_.base_url() + "\"\n";
  }

  // Consent given in the fake; returns the connected integration.
  json Connect() {
    auto r = Call("POST", "/api/integrations/gcalendar/authorize", {{"calendar_id", "primary"}});
    EXPECT_EQ(r.status, 200) << r.body;
    const std::string back = google_.Consent(json::parse(r.body)["url"]);
    const std::string path = back.substr(std::string("https://sloth.test").size());
    r = testing::HttpCall(app_->port(), "GET", path, "", "");
    EXPECT_EQ(r.status, 201) << r.body;
    app_->jobs().Drain("default");  // what signing up queued
    return json::parse(r.body, nullptr, false);
  }

  int Run(const std::string& kind) {
    Queue(kind);
    return app_->jobs().Drain("default");
  }

  json Booking(std::int64_t id) {
    return json::parse(Call("GET", "/api/booking/bookings/" + std::to_string(id)).body);
  }

  std::vector<std::string> AnnaStarts() {
    std::vector<std::string> out;
    const auto r = Call("GET", "/api/booking/availability?service=" + std::to_string(manicure_) +
                                   "&date=" + day_ + "&specialist=" + std::to_string(anna_));
    EXPECT_EQ(r.status, 200) << r.body;
    const json body = json::parse(r.body);  // not in the loop's head: it would dangle
    for (const auto& s : body["slots"]) out.push_back(s["start"]);
    return out;
  }

  fakes::FakeGoogle google_{"sloth.apps.googleusercontent.com", "gsecret-fake"};
};

TEST_F(CalendarTest, ConsentConnectsOnceWithASignedStateAndSealsTheRefreshToken) {
  auto r = Call("POST", "/api/integrations/gcalendar/authorize", json::object());
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string url = json::parse(r.body)["url"];
  EXPECT_EQ(url.rfind("https://accounts.google.com/o/oauth2/v2/auth?", 0), 0u) << url;
  for (const char* part : {"code_challenge_method=S256", "access_type=offline", "prompt=consent",
                           "redirect_uri=https%3A%2F%2Fsloth.test%2Foauth%2Fgoogle%2Fcallback"})
    EXPECT_NE(url.find(part), std::string::npos) << part;
  const std::string back = google_.Consent(url);
  const std::string path = back.substr(std::string("https://sloth.test").size());

  // An altered state is refused before anything else, and does not use the consent up.
  const auto at = path.find("state=") + 6;
  std::string forged = path;
  forged[at + 2] = forged[at + 2] == 'A' ? 'B' : 'A';
  r = testing::HttpCall(app_->port(), "GET", forged, "", "");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_EQ(json::parse(r.body)["error"]["field"], "state");

  r = testing::HttpCall(app_->port(), "GET", path, "", "");
  ASSERT_EQ(r.status, 201) << r.body;
  const auto integration = json::parse(r.body);
  EXPECT_EQ(integration["plugin"], "gcalendar");
  EXPECT_EQ(integration["status"], "active");
  EXPECT_FALSE(integration["config"].contains("refresh_token"));  // secret: never shown
  // Good once.
  r = testing::HttpCall(app_->port(), "GET", path, "", "");
  EXPECT_EQ(r.status, 400) << r.body;
  // Sealed at rest: the token's bytes are nowhere in the row.
  const std::string stored = app_->pool().InTransaction([](db::Transaction& tx) {
    return tx.Exec("SELECT encode(config_encrypted, 'escape') FROM public.integrations").Text(0, 0);
  });
  EXPECT_EQ(stored.find("fake-refresh"), std::string::npos);

  // Disconnecting revokes the refresh token at Google.
  EXPECT_EQ(Call("DELETE", "/api/integrations/" + integration["id"].get<std::string>()).status,
            204);
  EXPECT_EQ(google_.revocations(), 1);
}

TEST_F(CalendarTest, BookingsBecomeEventsAndCalendarEventsBlockTime) {
  Connect();
  ASSERT_EQ(Call("PUT", "/api/booking/specialists/" + std::to_string(anna_),
                 {{"calendar_id", "anna@aurora.test"}})
                .status,
            200);
  // Anna has a dentist at 12:00-13:00 in her own calendar.
  google_.AddEvent("anna@aurora.test", At("12:00"), At("13:00"), "Dentist");
  const auto before = AnnaStarts();
  EXPECT_EQ(before.size(), 17u);
  EXPECT_EQ(Run("booking.calendar_sync"), 1);
  const auto after = AnnaStarts();
  EXPECT_EQ(after.size(), 14u);  // 11:30, 12:00 and 12:30 would overlap it
  EXPECT_EQ(std::count(after.begin(), after.end(), At("12:00")), 0);
  const auto taken = Book("12:00", anna_, 409);
  EXPECT_EQ(taken["error"]["details"]["reason"], "slot_taken");

  // A booking becomes an event with our id and the booking's id in it.
  const auto b = Book("10:00", anna_);
  EXPECT_EQ(app_->jobs().Drain("default"), 1);
  auto events = google_.Events("anna@aurora.test");
  ASSERT_EQ(events.size(), 2u);
  const json* ours = nullptr;
  for (const auto& e : events)
    if (e.contains("extendedProperties")) ours = &e;
  ASSERT_NE(ours, nullptr);
  EXPECT_EQ((*ours)["extendedProperties"]["private"]["bookingId"], b["id"].dump());
  EXPECT_EQ((*ours)["start"]["dateTime"], At("10:00"));
  EXPECT_EQ((*ours)["start"]["timeZone"], "Europe/Kyiv");
  const std::string event_id = (*ours)["id"];
  EXPECT_EQ(Booking(b["id"])["calendar"]["state"], "synced");

  // A repeated insert (a crash after Google answered): 409 duplicate is success, one event.
  app_->pool().InTransaction([&](db::Transaction& tx) {
    tx.Exec("UPDATE tenant_1.bookings SET calendar_event_id = NULL WHERE id = $1",
            b["id"].get<std::int64_t>());
  });
  Queue("booking.calendar_push", {{"booking_id", b["id"]}});
  EXPECT_EQ(app_->jobs().Drain("default"), 1);
  EXPECT_EQ(google_.Calls("POST insert"), 2);
  EXPECT_EQ(google_.Events("anna@aurora.test").size(), 2u);
  EXPECT_EQ(Booking(b["id"])["calendar"]["event_id"], event_id);

  // Rate limited twice (403 rateLimitExceeded), then the move's patch goes through.
  google_.FailNext(2, 403);
  ASSERT_EQ(Call("PUT", "/api/booking/bookings/" + b["id"].dump(), {{"start", At("14:00")}}).status,
            200);
  EXPECT_EQ(app_->jobs().Drain("default"), 1);
  EXPECT_EQ(google_.Calls("PATCH patch"), 3);
  for (const auto& e : google_.Events("anna@aurora.test")) {
    if (e["id"] == event_id) {
      EXPECT_EQ(e["start"]["dateTime"], At("14:00"));
    }
  }

  // The salon deletes the event in Google Calendar: the booking says so, and its history.
  google_.DeleteEvent("anna@aurora.test", event_id);
  EXPECT_EQ(Run("booking.calendar_sync"), 1);
  const auto seen = Booking(b["id"]);
  EXPECT_EQ(seen["status"], "confirmed");  // the salon decides, not the sync
  EXPECT_EQ(seen["calendar"]["state"], "deleted_in_calendar");
  EXPECT_EQ(seen["history"].back()["event"], "calendar_event_deleted") << seen;

  // Sync tokens expired (410): a full read, the dentist still blocks Anna.
  google_.ExpireSyncTokens();
  EXPECT_EQ(Run("booking.calendar_sync"), 1);
  const auto full_syncs = app_->pool().InTransaction([](db::Transaction& tx) {
    return tx
        .Exec(
            "SELECT full_syncs FROM tenant_1.calendar_sync WHERE calendar_id = "
            "'anna@aurora.test'")
        .Int(0, 0);
  });
  EXPECT_EQ(full_syncs, 2);
  const auto resynced = AnnaStarts();
  EXPECT_EQ(std::count(resynced.begin(), resynced.end(), At("12:00")), 0);

  // A cancel deletes the event of a synced booking.
  const auto c = Book("16:00", anna_);
  EXPECT_EQ(app_->jobs().Drain("default"), 1);
  EXPECT_EQ(google_.Events("anna@aurora.test").size(), 2u);  // dentist + the 16:00 one
  ASSERT_EQ(Call("DELETE", "/api/booking/bookings/" + c["id"].dump()).status, 200);
  EXPECT_EQ(app_->jobs().Drain("default"), 1);
  EXPECT_EQ(google_.Events("anna@aurora.test").size(), 1u);
}

// Olha shares her own calendar as free/busy only: its events cannot be listed, its busy
// times still block her.
TEST_F(CalendarTest, AFreeBusyOnlyCalendarStillBlocksTime) {
  Connect();
  ASSERT_EQ(Call("PUT", "/api/booking/specialists/" + std::to_string(olha_),
                 {{"calendar_id", "olha@aurora.test"}})
                .status,
            200);
  google_.AddEvent("olha@aurora.test", At("15:00"), At("16:00"), "Private");
  google_.FreeBusyOnly("olha@aurora.test");
  EXPECT_EQ(Run("booking.calendar_sync"), 1);
  EXPECT_EQ(google_.Calls("GET list"), 2);       // the default calendar's and Olha's refused one
  EXPECT_GE(google_.Calls("POST freebusy"), 2);  // the connect check, and Olha's busy times
  const auto r = Call("GET", "/api/booking/availability?service=" + std::to_string(manicure_) +
                                 "&date=" + day_ + "&specialist=" + std::to_string(olha_));
  const json slots = json::parse(r.body)["slots"];
  EXPECT_EQ(slots.size(), 14u) << r.body;
  for (const auto& slot : slots) EXPECT_NE(slot["start"], At("15:00"));
  EXPECT_EQ(Book("15:00", olha_, 409)["error"]["details"]["reason"], "slot_taken");
}

TEST_F(CalendarTest, AccessTokensAreRefreshedBeforeExpiryAndOnceOnA401) {
  Connect();
  const auto b = Book("10:00", anna_);
  EXPECT_EQ(app_->jobs().Drain("default"), 1);
  const int base = google_.refreshes();
  const std::string path = "/api/booking/bookings/" + b["id"].dump();
  auto move = [&](const std::string& clock) {
    ASSERT_EQ(Call("PUT", path, {{"start", At(clock)}}).status, 200);
    EXPECT_EQ(app_->jobs().Drain("default"), 1);
  };
  move("11:00");  // the cached token is still good
  EXPECT_EQ(google_.refreshes(), base);
  google_.ExpireAccessTokens();
  move("12:00");  // 401 → refresh → the same patch again
  EXPECT_EQ(google_.refreshes(), base + 1);
  EXPECT_EQ(google_.Calls("PATCH patch"), 3);
  // Tokens that live 200 s are within the 4-minute margin: refreshed before each use.
  google_.SetTokenLifetime(200);
  google_.ExpireAccessTokens();
  move("13:00");
  move("14:00");
  EXPECT_EQ(google_.refreshes(), base + 3);
  EXPECT_EQ(google_.Calls("PATCH patch"), 6);  // only the expired token's one was refused
  google_.SetTokenLifetime(3599);
  move("15:00");  // one last refresh, then the token lasts
  move("16:00");
  EXPECT_EQ(google_.refreshes(), base + 4);
  const auto events = google_.Events("primary");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["start"]["dateTime"], At("16:00"));
}

// The fake Google against Google's official client (npm `googleapis`, pinned in
// tests/googleapis/package-lock.json): the consent URL it builds, its PKCE code exchange,
// its refresh before expiry and after a 401, a repeated insert, free/busy, pages, sync
// tokens and the 410, rate-limit errors and revocation — so the fake the tests above rely
// on speaks what Google speaks.
json OfficialGoogle(const std::string& base_url, const std::string& scenario,
                    const json& args = json::object(), bool succeeds = true) {
  const std::string in = testing::WriteTempFile(args.dump(), ".json");
  const std::string out = testing::WriteTempFile("", ".json");
  const std::string cmd = std::string("node ") + SLOTH_SOURCE_DIR + "/tests/googleapis/check.mjs " +
                          base_url + " " + scenario + " " + in + " > " + out;
  const int status = testing::Shell(cmd + (succeeds ? "" : " 2>/dev/null"));
  EXPECT_EQ(status == 0, succeeds) << "node and tests/googleapis/node_modules are needed: " << cmd;
  std::ifstream file(out);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::remove(in.c_str());
  std::remove(out.c_str());
  return json::parse(text, nullptr, false);
}

TEST(OfficialGoogleClientTest, SpeaksOAuthAndCalendarWithTheFake) {
  fakes::FakeGoogle google("sloth.apps.googleusercontent.com", "gsecret-fake");
  const std::string base = google.base_url();
  // Consent and the PKCE exchange, as the official client does them.
  const auto consent = OfficialGoogle(base, "consent-url");
  ASSERT_TRUE(consent.is_object()) << consent;
  auto code_of = [](const std::string& url) {
    for (const auto& [k, v] : Poco::URI(url).getQueryParameters())
      if (k == "code") return v;
    return std::string();
  };
  auto tokens = OfficialGoogle(
      base, "exchange", {{"code", code_of(google.Consent(consent["url"]))}, {"verifier", "not-it"}},
      /*succeeds=*/false);
  EXPECT_FALSE(tokens.is_object());  // a wrong verifier is refused
  tokens = OfficialGoogle(
      base, "exchange",
      {{"code", code_of(google.Consent(consent["url"]))}, {"verifier", consent["verifier"]}});
  ASSERT_TRUE(tokens.is_object()) << tokens;
  EXPECT_EQ(tokens["refresh_token"].get<std::string>().rfind("1//", 0), 0u);
  const std::string refresh = tokens["refresh_token"];

  // A token 60 s from expiry is refreshed before use (eager refresh), a rejected one after
  // the 401; a repeated insert is 409 duplicate; free/busy, pages and the sync token read.
  google.AddEvent("primary", "2026-12-01T12:00:00Z", "2026-12-01T13:00:00Z", "Dentist");
  const json args = {{"refresh_token", refresh},
                     {"access_token", tokens["access_token"]},
                     {"expires_in_ms", 60000},
                     {"event_id", "sloth1b42v1"},
                     {"start", "2026-12-01T10:00:00+02:00"},
                     {"end", "2026-12-01T11:00:00+02:00"},
                     {"since", "2026-11-30T00:00:00Z"}};
  const int before = google.refreshes();
  auto r = OfficialGoogle(base, "calendar", args);
  ASSERT_TRUE(r.is_object()) << r;
  EXPECT_EQ(google.refreshes(), before + 1);
  EXPECT_EQ(r["inserted"], "sloth1b42v1");
  EXPECT_EQ(r["private_booking_id"], "42");
  EXPECT_EQ(r["second"]["status"], 409);
  EXPECT_EQ(r["second"]["reason"], "duplicate");
  ASSERT_EQ(r["busy"].size(), 1u);
  EXPECT_EQ(r["busy"][0]["start"], "2026-12-01T10:00:00+02:00");
  EXPECT_EQ(r["ids"].size(), 2u);
  EXPECT_EQ(r["pages"], 2);
  const std::string sync = r["sync_token"];
  ASSERT_FALSE(sync.empty());

  google.ExpireAccessTokens();
  google.DeleteEvent("primary", "sloth1b42v1");
  r = OfficialGoogle(base, "sync", {{"refresh_token", refresh}, {"sync_token", sync}});
  ASSERT_EQ(r["items"].size(), 1u) << r;  // the deletion, read after a 401 and a refresh
  EXPECT_EQ(r["items"][0]["id"], "sloth1b42v1");
  EXPECT_EQ(r["items"][0]["status"], "cancelled");
  google.ExpireSyncTokens();
  r = OfficialGoogle(base, "sync", {{"refresh_token", refresh}, {"sync_token", sync}});
  EXPECT_EQ(r["status"], 410) << r;
  EXPECT_EQ(r["reason"], "fullSyncRequired");

  // The official client repeats a 403 once after refreshing its token (it cannot tell a
  // rate limit from a lost grant without the body); a lasting one reaches it with the
  // reason a retry decision reads.
  google.FailNext(1, 403);
  r = OfficialGoogle(base, "errors", {{"refresh_token", refresh}});
  EXPECT_EQ(r["status"], 200) << r;
  google.FailNext(5, 403);
  r = OfficialGoogle(base, "errors", {{"refresh_token", refresh}});
  EXPECT_EQ(r["status"], 403) << r;
  EXPECT_EQ(r["reason"], "rateLimitExceeded");
  google.FailNext(0, 500);

  r = OfficialGoogle(base, "revoke", {{"refresh_token", refresh}});
  EXPECT_EQ(r["status"], 200) << r;
  EXPECT_EQ(r["after"]["status"], 400);
  EXPECT_EQ(r["after"]["reason"], "invalid_grant");
  EXPECT_EQ(google.revocations(), 1);
}

// The assistant's booking (offline model, after the client's yes) lands in the calendar,
// and a move in Ukrainian moves the event.
TEST_F(CalendarTest, TheAssistantsBookingsLandInTheCalendar) {
  Connect();
  auto t = Chat("Book a manicure with Anna on " + day_ + " at 10", std::nullopt);
  const auto conversation = t["conversation_id"].get<std::int64_t>();
  EXPECT_NE(t["reply"].get<std::string>().find("Shall I book"), std::string::npos) << t;
  t = Chat("yes", conversation);
  EXPECT_NE(t["reply"].get<std::string>().find("Booked"), std::string::npos) << t;
  EXPECT_EQ(app_->jobs().Drain("default"), 1);
  auto events = google_.Events("primary");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["start"]["dateTime"], At("10:00"));
  EXPECT_NE(events[0]["summary"].get<std::string>().find("Manicure"), std::string::npos);

  t = Chat("Перенесіть, будь ласка, на 12:00", conversation);
  t = Chat("так", conversation);
  EXPECT_NE(t["reply"].get<std::string>().find("Готово"), std::string::npos) << t;
  EXPECT_EQ(app_->jobs().Drain("default"), 1);
  events = google_.Events("primary");
  ASSERT_EQ(events.size(), 1u);  // the same event, moved
  EXPECT_EQ(events[0]["start"]["dateTime"], At("12:00"));
}

// Reminders through the channels, with one-tap answers. Workers are off: the test runs
// the queue, and makes the reminder jobs due instead of waiting a day.
constexpr const char* kBot = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";
constexpr const char* kWaToken = "EAAG-fake-whatsapp-access-token-0123456789";
constexpr const char* kWaSecret = "app-secret-0123456789abcdef";
constexpr const char* kWaPhone = "106540352242922";

class ReminderTest : public BookingTest {
 protected:
  ReminderTest() {
    workers_ = false;
    extra_yaml_ =
        "channels:\n  burst_window_ms: 0\n  polling: false\n"
        "outbound_http:\n  allow_private: true\n  rewrite:\n"
        "    \"https://api.telegram.org\": \"" +
        telegram_.base_url() + "\"\n" + "    \"https://graph.facebook.com\": \"" +
        whatsapp_.base_url() + "\"\n";
  }

  void RunJobs() {
    for (int i = 0; i < 3; ++i) {
      app_->jobs().Drain("default");
      app_->jobs().Drain("channels");
    }
  }
  // The reminders queued for a day ahead, made due now.
  void RemindersDue() {
    app_->pool().InTransaction([](db::Transaction& tx) {
      tx.Exec(
          "UPDATE public.jobs SET run_at = now() WHERE kind = 'booking.remind' AND state = "
          "'queued'");
    });
    RunJobs();
  }
  std::int64_t Sql(const std::string& query) {
    return app_->pool().InTransaction(
        [&](db::Transaction& tx) { return tx.Exec(query).Int(0, 0); });
  }
  static json Update(long id, const json& body) {
    json u = {{"update_id", id}};
    u.update(body);
    return u;
  }
  static json Text(long id, const std::string& text) {
    return Update(id, {{"message",
                        {{"message_id", 700 + id},
                         {"from", {{"id", 4242}, {"is_bot", false}, {"first_name", "Olena"}}},
                         {"chat", {{"id", 4242}, {"type", "private"}}},
                         {"date", 1764000000},
                         {"text", text}}}});
  }
  static json Tap(long id, const std::string& data) {
    return Update(
        id, {{"callback_query",
              {{"id", "cb" + std::to_string(id)},
               {"from", {{"id", 4242}, {"is_bot", false}, {"first_name", "Olena"}}},
               {"message", {{"message_id", 9}, {"chat", {{"id", 4242}, {"type", "private"}}}}},
               {"data", data}}}});
  }
  int Deliver(const std::string& integration, const json& update) {
    return testing::HttpCall(app_->port(), "POST", "/hooks/telegram/" + integration, update.dump(),
                             "",
                             {{"Content-Type", "application/json"},
                              {"X-Telegram-Bot-Api-Secret-Token", telegram_.webhook_secret()}})
        .status;
  }
  int DeliverWhatsApp(const std::string& integration, const json& message) {
    const json n = {
        {"object", "whatsapp_business_account"},
        {"entry",
         {{{"id", "1"},
           {"changes",
            {{{"field", "messages"},
              {"value",
               {{"messaging_product", "whatsapp"},
                {"metadata",
                 {{"display_phone_number", "15550783881"}, {"phone_number_id", kWaPhone}}},
                {"contacts", {{{"profile", {{"name", "Olena"}}}, {"wa_id", "380671234567"}}}},
                {"messages", {message}}}}}}}}}}};
    const std::string body = n.dump();
    return testing::HttpCall(app_->port(), "POST", "/hooks/whatsapp/" + integration, body, "",
                             {{"Content-Type", "application/json"},
                              {"X-Hub-Signature-256", fakes::FakeWhatsApp::Sign(body, kWaSecret)}})
        .status;
  }

  fakes::FakeTelegram telegram_{kBot};
  fakes::FakeWhatsApp whatsapp_{kWaToken, kWaPhone};
};

TEST_F(ReminderTest, TelegramRemindersGoOnceAndTheirCancelButtonCancelsOnce) {
  auto c = Call("POST", "/api/integrations/telegram/connect", {{"bot_token", kBot}});
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string bot = json::parse(c.body)["id"];
  ASSERT_EQ(Deliver(bot, Text(1, "Book a manicure with Anna on " + day_ + " at 10")), 200);
  RunJobs();
  ASSERT_EQ(Deliver(bot, Text(2, "yes")), 200);
  RunJobs();
  ASSERT_EQ(telegram_.sent().size(), 2u);
  ASSERT_EQ(Live(), 1);
  // Two reminders queued (24 h and 2 h ahead), for version 1.
  EXPECT_EQ(Sql("SELECT count(*) FROM public.jobs WHERE kind = 'booking.remind' AND "
                "(payload->>'version')::int = 1"),
            2);

  // A move outdates them and queues two for version 2.
  ASSERT_EQ(Call("PUT", "/api/booking/bookings/1", {{"start", At("11:00")}}).status, 200);
  EXPECT_EQ(Sql("SELECT count(*) FROM public.jobs WHERE kind = 'booking.remind' AND "
                "(payload->>'version')::int = 2"),
            2);
  RemindersDue();
  auto sent = telegram_.sent();
  ASSERT_EQ(sent.size(), 4u);  // version 2's two reminders, none of version 1's
  for (std::size_t i = 2; i < 4; ++i) {
    const std::string text = sent[i].params["text"];
    EXPECT_NE(text.find(At("11:00").substr(11, 5)), std::string::npos) << text;
    const json& m = sent[i].params["reply_markup"];
    const json markup = m.is_string() ? json::parse(m.get<std::string>()) : m;
    EXPECT_EQ(markup["inline_keyboard"][0][2]["callback_data"], "bk:1:cancel") << markup;
  }
  EXPECT_EQ(Sql("SELECT count(*) FROM tenant_1.booking_reminders"), 2);

  // The same reminder job run again sends nothing.
  Queue("booking.remind", {{"booking_id", 1}, {"version", 2}, {"lead_minutes", 120}});
  RunJobs();
  EXPECT_EQ(telegram_.sent().size(), 4u);

  // Cancel tapped: the same update delivered twice, then tapped again.
  ASSERT_EQ(Deliver(bot, Tap(3, "bk:1:cancel")), 200);
  ASSERT_EQ(Deliver(bot, Tap(3, "bk:1:cancel")), 200);
  RunJobs();
  ASSERT_EQ(Deliver(bot, Tap(4, "bk:1:cancel")), 200);
  RunJobs();
  EXPECT_EQ(Live(), 0);
  EXPECT_EQ(Sql("SELECT count(*) FROM tenant_1.booking_history WHERE event = 'cancelled'"), 1);
  sent = telegram_.sent();
  ASSERT_EQ(sent.size(), 6u);
  EXPECT_EQ(sent[4].params["text"], "Cancelled. We hope to see you another time.");
  EXPECT_EQ(sent[5].params["text"], "This booking is no longer active.");

  // No reminder after a cancel.
  Queue("booking.remind", {{"booking_id", 1}, {"version", 2}, {"lead_minutes", 60}});
  RunJobs();
  EXPECT_EQ(telegram_.sent().size(), 6u);
}

TEST_F(ReminderTest, WhatsAppConfirmsByButtonAndUsesATemplateOutsideTheWindow) {
  auto c = Call("POST", "/api/integrations/whatsapp/connect",
                {{"access_token", kWaToken},
                 {"app_secret", kWaSecret},
                 {"verify_token", "verify-me-please"},
                 {"phone_number_id", kWaPhone}});
  ASSERT_EQ(c.status, 201) << c.body;
  const std::string wa = json::parse(c.body)["id"];
  const long long now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  auto text = [&](const std::string& id, const std::string& body) {
    return json{{"from", "380671234567"},
                {"id", id},
                {"timestamp", std::to_string(now)},
                {"type", "text"},
                {"text", {{"body", body}}}};
  };
  ASSERT_EQ(DeliverWhatsApp(wa, text("wamid.in1", "Запишіть мене на манікюр " + day_ + " о 10:00")),
            200);
  RunJobs();
  ASSERT_EQ(DeliverWhatsApp(wa, text("wamid.in2", "так")), 200);
  RunJobs();
  ASSERT_EQ(Live(), 1);
  ASSERT_EQ(whatsapp_.sent().size(), 2u);

  // Inside the window: reply buttons, in Ukrainian.
  app_->pool().InTransaction([](db::Transaction& tx) {
    tx.Exec(
        "UPDATE public.jobs SET run_at = now() WHERE kind = 'booking.remind' AND "
        "(payload->>'lead_minutes')::int = 1440");
  });
  RunJobs();
  auto sent = whatsapp_.sent();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[2]["type"], "interactive") << sent[2];
  EXPECT_NE(sent[2]["interactive"]["body"]["text"].get<std::string>().find("Нагадування"),
            std::string::npos);
  EXPECT_EQ(sent[2]["interactive"]["action"]["buttons"][0]["reply"]["id"], "bk:1:confirm");

  // The client taps Confirm (delivered twice): recorded once, in the history too.
  const json tap = {{"from", "380671234567"},
                    {"id", "wamid.tap1"},
                    {"timestamp", std::to_string(now)},
                    {"type", "interactive"},
                    {"interactive",
                     {{"type", "button_reply"},
                      {"button_reply", {{"id", "bk:1:confirm"}, {"title", "Підтвердити"}}}}}};
  ASSERT_EQ(DeliverWhatsApp(wa, tap), 200);
  ASSERT_EQ(DeliverWhatsApp(wa, tap), 200);
  RunJobs();
  const auto b = json::parse(Call("GET", "/api/booking/bookings/1").body);
  EXPECT_TRUE(b["client_confirmed"].get<bool>()) << b;
  EXPECT_EQ(Sql("SELECT count(*) FROM tenant_1.booking_history WHERE event = 'client_confirmed'"),
            1);
  sent = whatsapp_.sent();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_NE(sent[3]["text"]["body"].get<std::string>().find("Дякуємо"), std::string::npos);

  // Two days later the client has not written: free text would be refused (131047), so
  // the 2-hour reminder goes as the salon's approved template.
  whatsapp_.CustomerWrote("380671234567",
                          std::chrono::system_clock::now() - std::chrono::hours(48));
  whatsapp_.ApproveTemplate("booking_reminder", "uk");
  app_->pool().InTransaction([](db::Transaction& tx) {
    tx.Exec("UPDATE tenant_1.conversations SET last_inbound_at = now() - interval '48 hours'");
  });
  ASSERT_EQ(Call("PUT", "/api/booking/settings",
                 {{"reminder_template", {{"name", "booking_reminder"}, {"language", "uk"}}}})
                .status,
            200);
  RemindersDue();
  sent = whatsapp_.sent();
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_EQ(sent[4]["type"], "template") << sent[4];
  EXPECT_EQ(sent[4]["template"]["name"], "booking_reminder");
  EXPECT_EQ(sent[4]["template"]["language"]["code"], "uk");
  EXPECT_EQ(sent[4]["template"]["components"][1]["parameters"][0]["payload"], "bk:1:confirm");
  EXPECT_EQ(Sql("SELECT count(*) FROM tenant_1.booking_reminders WHERE via = 'template'"), 1);
}

}  // namespace
}  // namespace sloth::booking
