#include "jobs/scheduler.hpp"

#include <sstream>
#include <stdexcept>

#include <date/tz.h>
#include <spdlog/spdlog.h>

#include "jobs/job_queue.hpp"

namespace sloth::jobs {
namespace {

std::string SlotKey(const std::string& name, std::time_t t) {
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%MZ", &utc);
  return name + "@" + buf;
}

}  // namespace

Scheduler::Scheduler(db::Pool& pool, std::vector<ScheduleEntry> entries, std::chrono::seconds tick,
                     const std::string& zone_name)
    : pool_(pool), entries_(std::move(entries)), tick_(tick) {
  try {
    zone_ = date::locate_zone(zone_name.empty() ? "UTC" : zone_name);
  } catch (const std::exception& e) {
    throw std::invalid_argument("unknown time zone '" + zone_name + "': " + e.what());
  }
}

Scheduler::~Scheduler() {
  Stop();
}

int Scheduler::Tick(std::time_t now) {
  int added = 0;
  for (const auto& e : entries_) {
    const auto slot = e.cron.Latest(now, std::chrono::hours(24 * 366), zone_);
    if (!slot) continue;
    EnqueueOptions o;
    o.queue = e.queue;
    o.unique_key = SlotKey(e.name, *slot);
    o.max_attempts = 5;
    const auto id = pool_.InTransaction([&](db::Transaction& tx) {
      return Enqueue(tx, e.kind, {{"entry", e.name}, {"slot", *slot}}, o);
    });
    if (id) {
      ++added;
      spdlog::info("scheduler: {} enqueued for slot {}", e.name, *o.unique_key);
    }
  }
  return added;
}

void Scheduler::Start() {
  if (entries_.empty() || thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      lock.unlock();
      try {
        Tick(std::time(nullptr));
      } catch (const std::exception& ex) {
        spdlog::warn("scheduler: tick failed: {}", ex.what());
      }
      lock.lock();
      cv_.wait_for(lock, tick_, [&] { return stop_; });
    }
  });
}

void Scheduler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace sloth::jobs
