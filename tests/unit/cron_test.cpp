#include <cstdlib>

#include <gtest/gtest.h>

#include "jobs/scheduler.hpp"

namespace sloth::jobs {
namespace {

std::time_t Utc(int y, int mo, int d, int h, int mi) {
  std::tm t{};
  t.tm_year = y - 1900;
  t.tm_mon = mo - 1;
  t.tm_mday = d;
  t.tm_hour = h;
  t.tm_min = mi;
  return timegm(&t);
}

class CronTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

TEST_F(CronTest, LatestSlot) {
  const auto daily = CronExpr::Parse("0 0 * * *");
  EXPECT_EQ(daily.Latest(Utc(2026, 11, 22, 13, 5)), Utc(2026, 11, 22, 0, 0));
  EXPECT_EQ(daily.Latest(Utc(2026, 11, 22, 0, 0)), Utc(2026, 11, 22, 0, 0));
  const auto sundays = CronExpr::Parse("0 3 * * 0");  // 2026-11-22 is a Sunday
  EXPECT_EQ(sundays.Latest(Utc(2026, 11, 22, 2, 59)), Utc(2026, 11, 15, 3, 0));
  EXPECT_EQ(sundays.Latest(Utc(2026, 11, 25, 12, 0)), Utc(2026, 11, 22, 3, 0));
  EXPECT_EQ(CronExpr::Parse("0 3 * * 7").Latest(Utc(2026, 11, 25, 12, 0)), Utc(2026, 11, 22, 3, 0));
  const auto quarter = CronExpr::Parse("*/15 9-17 * * 1-5");
  EXPECT_EQ(quarter.Latest(Utc(2026, 11, 23, 10, 44)), Utc(2026, 11, 23, 10, 30));
  EXPECT_EQ(quarter.Latest(Utc(2026, 11, 23, 8, 0)), Utc(2026, 11, 20, 17, 45));  // Friday
  const auto hourly = CronExpr::Parse("0 * * * *");
  EXPECT_EQ(hourly.Latest(Utc(2026, 1, 1, 0, 30)), Utc(2026, 1, 1, 0, 0));
  EXPECT_EQ(CronExpr::Parse("0 0 1 1 *").Latest(Utc(2026, 6, 1, 0, 0)), Utc(2026, 1, 1, 0, 0));
  // Either day field may match when both are restricted.
  const auto either = CronExpr::Parse("0 0 13 * 5");
  EXPECT_EQ(either.Latest(Utc(2026, 11, 22, 0, 0)), Utc(2026, 11, 20, 0, 0));  // Friday the 20th
}

TEST_F(CronTest, InLocalTime) {
  setenv("TZ", "Europe/Kyiv", 1);  // UTC+2 in November
  tzset();
  EXPECT_EQ(CronExpr::Parse("0 0 * * *").Latest(Utc(2026, 11, 22, 12, 0)),
            Utc(2026, 11, 21, 22, 0));
}

TEST_F(CronTest, RefusesBadExpressions) {
  for (const char* bad : {"* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *",
                          "* * * * 8", "*/0 * * * *", "a * * * *", "5-1 * * * *"}) {
    EXPECT_THROW(CronExpr::Parse(bad), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace sloth::jobs
