#pragma once

// Periodic jobs from cron entries. Every host runs a scheduler; each one enqueues the
// latest due slot of every entry with the unique key "<entry>@<slot>", so a slot runs once
// across all hosts, and after downtime the missed slot runs once (not once per missed
// slot). Cron times are evaluated in the process's time zone (TZ), which the host sets
// from scheduler.timezone.

#include <atomic>
#include <bitset>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "db/pool.hpp"

namespace sloth::jobs {

// "minute hour day-of-month month day-of-week" with *, lists, ranges and steps (*/15,
// 1-5, 0,30). Day-of-week 0 or 7 is Sunday. When both day fields are restricted, either
// may match (as in Vixie cron).
class CronExpr {
 public:
  static CronExpr Parse(const std::string& text);  // throws std::invalid_argument
  bool Matches(const std::tm& local) const;
  // The latest matching minute at or before `t`, within the last `horizon` (else nullopt).
  std::optional<std::time_t> Latest(std::time_t t,
                                    std::chrono::hours horizon = std::chrono::hours(24 *
                                                                                    366)) const;
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

struct ScheduleEntry {
  std::string name;
  CronExpr cron;
  std::string kind;
  std::string queue = "default";
};

class Scheduler {
 public:
  Scheduler(db::Pool& pool, std::vector<ScheduleEntry> entries,
            std::chrono::seconds tick = std::chrono::seconds(20));
  ~Scheduler();
  void Start();
  void Stop();
  // Enqueues the latest due slot of every entry as of `now`; returns how many were new.
  int Tick(std::time_t now);

 private:
  db::Pool& pool_;
  std::vector<ScheduleEntry> entries_;
  std::chrono::seconds tick_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace sloth::jobs
