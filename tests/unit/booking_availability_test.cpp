#include <gtest/gtest.h>

#include "booking/availability.hpp"

namespace sloth::booking {
namespace {

using namespace std::chrono;
using date::operator""_y;

TimePoint At(const std::string& rfc3339) {
  return *ParseTimestamp(rfc3339);
}

const std::string kKyiv = "Europe/Kyiv";

TEST(AvailabilityTest, StartsFollowTheGridHoursBuffersAndBusyTimes) {
  const date::year_month_day day{2026_y / 12 / 1};
  ServiceRules rules{60, 0, 15, 0, 60};
  SpecialistDay anna{1, {{9 * 60, 13 * 60}}, {}};
  // Booked 10:00-11:00 (+15 min buffer after).
  anna.busy.push_back({At("2026-12-01T10:00:00+02:00"), At("2026-12-01T11:15:00+02:00")});
  const auto slots = FreeSlots(day, kKyiv, 30, rules, {anna}, At("2026-11-01T00:00:00Z"));
  // 09:00 and 09:30 would touch the booking with their buffer; 10:00-10:30 are inside it;
  // 11:00 starts inside the booking's own buffer; 12:30 would end after 13:00.
  ASSERT_EQ(slots.size(), 2u);
  EXPECT_EQ(FormatTimestamp(slots[0].start, kKyiv), "2026-12-01T11:30:00+02:00");
  EXPECT_EQ(FormatTimestamp(slots[1].start, kKyiv), "2026-12-01T12:00:00+02:00");
  EXPECT_EQ(FormatTimestamp(slots[1].end, kKyiv), "2026-12-01T13:00:00+02:00");
}

TEST(AvailabilityTest, AServiceLongerThanTheRestOfTheDayIsNotOffered) {
  const date::year_month_day day{2026_y / 12 / 2};
  SpecialistDay olha{2, {{9 * 60, 18 * 60}}, {}};
  const auto slots =
      FreeSlots(day, kKyiv, 30, {150, 0, 0, 0, 60}, {olha}, At("2026-11-01T00:00:00Z"));
  ASSERT_FALSE(slots.empty());
  EXPECT_EQ(FormatTimestamp(slots.back().start, kKyiv), "2026-12-02T15:30:00+02:00");
  EXPECT_EQ(FormatTimestamp(slots.back().end, kKyiv), "2026-12-02T18:00:00+02:00");
  // An exception day off: no intervals, no slots.
  SpecialistDay off{2, {}, {}};
  EXPECT_TRUE(
      FreeSlots(day, kKyiv, 30, {60, 0, 0, 0, 60}, {off}, At("2026-11-01T00:00:00Z")).empty());
}

TEST(AvailabilityTest, MinimumNoticeAndTheBookingWindowAreRespected) {
  const date::year_month_day day{2026_y / 12 / 3};
  SpecialistDay s{1, {{9 * 60, 12 * 60}}, {}};
  // Now 09:40 local, two hours' notice: the first start is 11:40 -> 12:00 is past the hours.
  auto slots = FreeSlots(day, kKyiv, 30, {30, 0, 0, 120, 60}, {s}, At("2026-12-03T09:40:00+02:00"));
  EXPECT_TRUE(slots.empty());
  slots = FreeSlots(day, kKyiv, 30, {30, 0, 0, 60, 60}, {s}, At("2026-12-03T09:40:00+02:00"));
  ASSERT_EQ(slots.size(), 2u);  // 11:00, 11:30
  EXPECT_EQ(FormatTimestamp(slots[0].start, kKyiv), "2026-12-03T11:00:00+02:00");
  // Ten days ahead with a seven-day window: nothing.
  EXPECT_TRUE(
      FreeSlots(day, kKyiv, 30, {30, 0, 0, 0, 7}, {s}, At("2026-11-23T09:00:00+02:00")).empty());
}

TEST(AvailabilityTest, TheSpringGapIsSkippedAndTheAutumnHourOfferedOnce) {
  // Kyiv: 2027-03-28 03:00 -> 04:00 (EET -> EEST); 2026-10-25 04:00 -> 03:00 (EEST -> EET).
  SpecialistDay night{1, {{2 * 60, 5 * 60}}, {}};
  const auto now = At("2026-01-01T00:00:00Z");
  auto spring =
      FreeSlots(date::year_month_day{2027_y / 3 / 28}, kKyiv, 30, {30, 0, 0, 0, 730}, {night}, now);
  std::vector<std::string> got;
  for (const auto& s : spring) got.push_back(FormatTimestamp(s.start, kKyiv));
  EXPECT_EQ(got,
            (std::vector<std::string>{"2027-03-28T02:00:00+02:00", "2027-03-28T02:30:00+02:00",
                                      "2027-03-28T04:00:00+03:00", "2027-03-28T04:30:00+03:00"}));
  auto autumn = FreeSlots(date::year_month_day{2026_y / 10 / 25}, kKyiv, 30, {30, 0, 0, 0, 730},
                          {night}, now);
  got.clear();
  for (const auto& s : autumn) got.push_back(FormatTimestamp(s.start, kKyiv));
  // 03:00 and 03:30 happen twice; each is offered at its first occurrence. The interval
  // lasts four real hours, so 04:30 ends at 05:00 as usual.
  EXPECT_EQ(got,
            (std::vector<std::string>{"2026-10-25T02:00:00+03:00", "2026-10-25T02:30:00+03:00",
                                      "2026-10-25T03:00:00+03:00", "2026-10-25T03:30:00+03:00",
                                      "2026-10-25T04:00:00+02:00", "2026-10-25T04:30:00+02:00"}));
  // A 90-minute service across the spring gap is real time: 02:30 + 90 min = 05:00 EEST.
  spring =
      FreeSlots(date::year_month_day{2027_y / 3 / 28}, kKyiv, 30, {90, 0, 0, 0, 730}, {night}, now);
  ASSERT_FALSE(spring.empty());
  EXPECT_EQ(FormatTimestamp(spring.back().start, kKyiv), "2027-03-28T02:30:00+02:00");
}

TEST(AvailabilityTest, DaysAndTimestampsRoundTrip) {
  const auto day = DayBounds(date::year_month_day{2026_y / 12 / 31}, kKyiv);
  EXPECT_EQ(FormatTimestamp(day.from, "UTC"), "2026-12-30T22:00:00+00:00");
  EXPECT_EQ(FormatTimestamp(day.to, "UTC"), "2026-12-31T22:00:00+00:00");
  EXPECT_EQ(FormatDate(LocalDate(At("2026-12-31T22:30:00Z"), kKyiv)), "2027-01-01");
  EXPECT_EQ(IsoWeekday(date::year_month_day{2026_y / 11 / 29}), 7);
  EXPECT_FALSE(ParseTimestamp("2026-12-31T10:00:00"));  // no offset
  EXPECT_FALSE(ParseTimestamp("2026-02-30T10:00:00Z"));
  EXPECT_EQ(At("2026-12-31T10:00+02:00"), At("2026-12-31T08:00:00Z"));
  EXPECT_EQ(ParseClock("24:00"), 1440);
  EXPECT_FALSE(ParseClock("24:30"));
  EXPECT_FALSE(ParseDate("2026-13-01"));
}

}  // namespace
}  // namespace sloth::booking
