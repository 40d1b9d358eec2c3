#pragma once

// Periodic jobs from cron entries. Every host runs a scheduler; each one enqueues the
// latest due slot of every entry with the unique key "<entry>@<slot>", so a slot runs once
// across all hosts, and after downtime the missed slot runs once (not once per missed
// slot). Cron times are evaluated in the scheduler's zone (scheduler.timezone, an IANA
// name read from the system's tzdata), never the process's TZ: tenants have zones of their
// own, and nothing in the host may depend on a process-global one.

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

struct ScheduleEntry {
  std::string name;
  CronExpr cron;
  std::string kind;
  std::string queue = "default";
};

class Scheduler {
 public:
  // `zone_name`: an IANA zone name; empty = UTC. Throws std::invalid_argument naming it when
  // the system's tzdata does not know it.
  Scheduler(db::Pool& pool, std::vector<ScheduleEntry> entries,
            std::chrono::seconds tick = std::chrono::seconds(20),
            const std::string& zone_name = "");
  ~Scheduler();
  void Start();
  void Stop();
  // Enqueues the latest due slot of every entry as of `now`; returns how many were new.
  int Tick(std::time_t now);

 private:
  db::Pool& pool_;
  std::vector<ScheduleEntry> entries_;
  std::chrono::seconds tick_;
  const date::time_zone* zone_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace sloth::jobs
