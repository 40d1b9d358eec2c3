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
#include "jobs/cron.hpp"

namespace sloth::jobs {

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
