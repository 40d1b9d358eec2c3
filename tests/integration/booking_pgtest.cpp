// Booking end to end: the catalogue, availability, bookings that never collide (the
// database's exclusion constraint under 50 concurrent attempts), moves and cancels, and
// booking through the assistant with the offline model.

#include <atomic>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "app/host_app.hpp"
#include "booking/availability.hpp"
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
        "http:\n  host: 127.0.0.1\n  port: 0\n  max_threads: 64\ndatabase:\n  url: \"" + db_.url() +
        "\"\n  pool_size: 16\nplans_file: " + SLOTH_SOURCE_DIR +
        "/config/plans.yaml\nauth:\n  jwt_secret: booking-secret-0123456789-abcdefghijk\n"
        "secrets:\n  master_key: \"" +
        std::string(64, 'f') +
        "\"\nrate_limits:\n  user_per_hour: 100000\njobs:\n  poll_ms: 100\nscheduler:\n  "
        "enabled: false\nplugins:\n  dirs: [\"" SLOTH_PLUGIN_DIR
        "\"]\n  config:\n    storage-local: {data_dir: \"" +
        data_dir_.string() + "\"}\n";
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

  std::int64_t Live() {
    return app_->pool().InTransaction([&](db::Transaction& tx) {
      return tx.Exec("SELECT count(*) FROM tenant_1.bookings WHERE status <> 'cancelled'")
          .Int(0, 0);
    });
  }

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
  std::atomic<int> created{0}, conflicts{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 50; ++i) {
    threads.emplace_back([&] {
      auto r = Call("POST", "/api/booking/bookings",
                    {{"service_id", manicure_},
                     {"specialist_id", anna_},
                     {"start", At("12:00")},
                     {"client", {{"name", "Racer"}}}});
      if (r.status == 201) {
        ++created;
      } else if (r.status == 409 && json::parse(r.body).contains("alternatives")) {
        ++conflicts;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
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
  auto chat = [&](const std::string& text, std::optional<std::int64_t> conversation) {
    json body = {{"message", text}};
    if (conversation) body["conversation_id"] = *conversation;
    auto r = Call("POST", "/api/agent/chat", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  };
  // "tomorrow" would depend on today's hours; ask for the test's day by date.
  auto t = chat("Book a manicure with Anna on " + day_ + " at 10", std::nullopt);
  const auto conversation = t["conversation_id"].get<std::int64_t>();
  EXPECT_NE(t["reply"].get<std::string>().find("Shall I book"), std::string::npos) << t;
  EXPECT_EQ(Live(), 0);  // nothing before the yes
  t = chat("yes", conversation);
  EXPECT_NE(t["reply"].get<std::string>().find("Booked"), std::string::npos) << t;
  EXPECT_EQ(Live(), 1);
  auto list = json::parse(Call("GET", "/api/booking/bookings?status=confirmed").body);
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["start"], At("10:00"));
  EXPECT_EQ(list["items"][0]["specialist_id"], anna_);
  EXPECT_EQ(list["items"][0]["source"], "agent");

  // Moving: the client's own booking, to 12, after a yes.
  t = chat("Перенесіть, будь ласка, на 12:00", conversation);
  EXPECT_NE(t["reply"].get<std::string>().find("Перенести"), std::string::npos) << t;
  t = chat("так", conversation);
  EXPECT_NE(t["reply"].get<std::string>().find("Готово"), std::string::npos) << t;
  list = json::parse(Call("GET", "/api/booking/bookings?status=confirmed").body);
  EXPECT_EQ(list["items"][0]["start"], At("12:00"));
  EXPECT_EQ(list["items"][0]["version"], 2);

  // A no drops the question; nothing changes.
  t = chat("Please cancel my appointment", conversation);
  EXPECT_NE(t["reply"].get<std::string>().find("Shall I cancel"), std::string::npos) << t;
  t = chat("no", conversation);
  EXPECT_EQ(Live(), 1);
  t = chat("Please cancel my appointment", conversation);
  t = chat("yes please", conversation);
  EXPECT_NE(t["reply"].get<std::string>().find("Cancelled"), std::string::npos) << t;
  EXPECT_EQ(Live(), 0);

  // In Ukrainian, a taken time gets alternatives instead of a booking.
  Book("11:00", anna_);
  Book("11:00", olha_);
  t = chat("Запишіть мене на манікюр " + day_ + " о 11:00", std::nullopt);
  EXPECT_NE(t["reply"].get<std::string>().find("Найближчий вільний"), std::string::npos) << t;
}

}  // namespace
}  // namespace sloth::booking
