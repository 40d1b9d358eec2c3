#pragma once

#include <bitset>
#include <chrono>
#include <ctime>
#include <optional>
#include <string>

namespace date {
class time_zone;
}  // namespace date

namespace sloth::jobs {

// "minute hour day-of-month month day-of-week" with *, lists, ranges and steps (*/15,
// 1-5, 0,30). Day-of-week 0 or 7 is Sunday. When both day fields are restricted, either
// may match (as in Vixie cron).
class CronExpr {
 public:
  static CronExpr Parse(const std::string& text);  // throws std::invalid_argument
  bool Matches(const std::tm& local) const;
  // The latest matching minute at or before `t`, within the last `horizon` (else nullopt),
  // reading `t` in `zone` (null: the C library's local time, i.e. TZ; tests only).
  std::optional<std::time_t> Latest(std::time_t t,
                                    std::chrono::hours horizon = std::chrono::hours(24 * 366),
                                    const date::time_zone* zone = nullptr) const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::bitset<60> minute_;
  std::bitset<24> hour_;
  std::bitset<32> dom_;
  std::bitset<13> month_;
  std::bitset<8> dow_;
  bool dom_any_ = true;
  bool dow_any_ = true;
};

}  // namespace sloth::jobs
