// Booking against a real PostgreSQL, in process:
//   availability  queries per second for one specialist's week holding 200 bookings
//   contention    create attempts per second when every thread wants the same slot (one
//                 wins; the others get 409 with alternatives computed)
//   spread        creations per second when threads book different specialists' slots
//
//   booking_benchmark DATABASE_URL [QUERIES] [THREADS]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <thread>
#include <vector>

#include "accounts/account_repository.hpp"
#include "app/host_app.hpp"
#include "booking/booking_repository.hpp"
#include "booking/bookings.hpp"
#include "errors/error.hpp"
#include "percentile.hpp"
#include "support/host_process.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace sloth::booking;

std::string Yaml(const std::string& url) {
  return "http:\n  host: 127.0.0.1\n  port: 0\ndatabase:\n  url: \"" + url +
         "\"\n  pool_size: 16\nplans_file: " SLOTH_SOURCE_DIR
         "/config/plans.yaml\nauth:\n  jwt_secret: bench-secret-0123456789-abcdefghijklmnop\n"
         "secrets:\n  master_key: \"" +
         std::string(64, 'b') +
         "\"\njobs:\n  workers: false\nscheduler:\n  enabled: false\nlog:\n  level: error\n"
         "plugins:\n  dirs: [\"" SLOTH_PLUGIN_DIR "\"]\n";
}

using sloth::bench::Pct;

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: booking_benchmark DATABASE_URL [QUERIES] [THREADS]\n");
    return 2;
  }
  const int queries = argc > 2 ? std::atoi(argv[2]) : 2000;
  const int threads = argc > 3 ? std::atoi(argv[3]) : 8;
  auto app = std::make_unique<sloth::app::HostApp>(sloth::config::ParseHostConfig(
      Yaml(argv[1]), "bench.yaml", [](const std::string&) { return std::nullopt; }));
  app->Start();
  auto reg = sloth::testing::HttpCall(app->port(), "POST", "/api/auth/register",
                                      nlohmann::json{{"email", "booking-bench@aurora.test"},
                                                     {"password", "a long passphrase 42"},
                                                     {"organization_name", "Salon"},
                                                     {"plan", "professional"}}
                                          .dump());
  const std::int64_t tenant = nlohmann::json::parse(reg.body)["organization"]["id"];
  auto& pool = app->pool();
  Bookings bookings(pool);
  // 20 specialists working 08:00-22:00 every day; one 30-minute service all provide.
  std::vector<std::int64_t> specialists;
  std::int64_t service = 0;
  pool.InTenant(sloth::db::TenantId{tenant}, [&](sloth::db::Transaction& tx) {
    BookingRepository repo;
    for (int i = 0; i < 20; ++i) {
      const auto id = repo.AddSpecialist(tx, {0, "S" + std::to_string(i), true, std::nullopt});
      std::vector<Hours> hours;
      for (int d = 1; d <= 7; ++d) hours.push_back({d, {8 * 60, 22 * 60}});
      repo.ReplaceHours(tx, id, hours);
      specialists.push_back(id);
    }
    Service s;
    s.name = "Haircut";
    s.duration_slots = 1;
    s.min_notice_min = 0;
    s.specialist_ids = specialists;
    service = repo.AddService(tx, s);
  });
  const std::string zone = bookings.Zone(tenant);
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  const auto first_day = LocalDate(now + std::chrono::hours(48), zone);
  // 200 bookings over specialist 0's week (about 29 a day of its 28 slots: a full week).
  int made = 0;
  for (int d = 0; d < 7 && made < 200; ++d) {
    const date::year_month_day day{date::sys_days{first_day} + date::days(d)};
    for (const auto& slot : bookings.Availability(tenant, service, day, specialists[0])) {
      if (made >= 200) break;
      NewBooking b;
      b.service_id = service;
      b.specialist_id = specialists[0];
      b.start = slot.start;
      b.client.name = "Client";
      bookings.Create(tenant, b);
      ++made;
    }
  }

  std::printf("bookings on the measured specialist's week: %d\n\n", made);
  std::printf(
      "| case | threads | operations | per second | p50 ms | p99 ms "
      "|\n|---|---|---|---|---|---|\n");
  for (const int t : {1, 2}) {
    std::vector<std::vector<double>> lat(static_cast<std::size_t>(t));
    std::vector<std::thread> pool_threads;
    const auto start = Clock::now();
    for (int i = 0; i < t; ++i) {
      pool_threads.emplace_back([&, i] {
        for (int q = i; q < queries; q += t) {
          const date::year_month_day day{date::sys_days{first_day} + date::days(q % 7)};
          const auto a = Clock::now();
          bookings.Availability(tenant, service, day, specialists[0]);
          lat[static_cast<std::size_t>(i)].push_back(
              std::chrono::duration<double, std::milli>(Clock::now() - a).count());
        }
      });
    }
    for (auto& th : pool_threads) th.join();
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    std::vector<double> all;
    for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
    std::printf(
        "| availability, one specialist-day of a full week | %d | %d | %.0f | %.2f | %.2f |\n", t,
        queries, queries / secs, Pct(all, 0.5), Pct(all, 0.99));
  }

  // Contention: every thread tries the same free slot of specialist 1, round after round.
  const int rounds = 20;
  std::atomic<int> won{0}, refused{0}, other{0};
  std::vector<double> lat;
  std::mutex mu;
  const auto free_slots = bookings.Availability(
      tenant, service, date::year_month_day{date::sys_days{first_day} + date::days(1)},
      specialists[1]);
  auto start = Clock::now();
  for (int r = 0; r < rounds && r < static_cast<int>(free_slots.size()); ++r) {
    std::vector<std::thread> racers;
    for (int i = 0; i < threads; ++i) {
      racers.emplace_back([&, r] {
        NewBooking b;
        b.service_id = service;
        b.specialist_id = specialists[1];
        b.start = free_slots[static_cast<std::size_t>(r)].start;
        b.client.name = "Racer";
        const auto a = Clock::now();
        try {
          bookings.Create(tenant, b);
          ++won;
        } catch (const sloth::errors::Error& e) {
          (e.code() == sloth::errors::Code::kConflict ? refused : other)++;
        }
        std::lock_guard<std::mutex> lock(mu);
        lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
      });
    }
    for (auto& th : racers) th.join();
  }
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "| contention: %d threads on one slot, %d rounds (won %d, 409 %d, other %d) | %d | %zu | "
      "%.0f | %.2f | %.2f |\n",
      threads, rounds, won.load(), refused.load(), other.load(), threads, lat.size(),
      static_cast<double>(lat.size()) / secs, Pct(lat, 0.5), Pct(lat, 0.99));

  // Spread: each thread books its own specialist's free slots.
  lat.clear();
  std::atomic<int> created{0};
  const date::year_month_day spread_day{date::sys_days{first_day} + date::days(2)};
  start = Clock::now();
  std::vector<std::thread> workers;
  for (int i = 0; i < threads; ++i) {
    workers.emplace_back([&, i] {
      const auto sp = specialists[static_cast<std::size_t>(2 + i % 18)];
      for (const auto& slot : bookings.Availability(tenant, service, spread_day, sp)) {
        NewBooking b;
        b.service_id = service;
        b.specialist_id = sp;
        b.start = slot.start;
        b.client.name = "Client";
        const auto a = Clock::now();
        try {
          bookings.Create(tenant, b);
          ++created;
        } catch (const sloth::errors::Error&) {
        }
        std::lock_guard<std::mutex> lock(mu);
        lat.push_back(std::chrono::duration<double, std::milli>(Clock::now() - a).count());
      }
    });
  }
  for (auto& th : workers) th.join();
  secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "| spread: %d threads, each its own specialist's day (%d created) | %d | %zu | %.0f | %.2f | "
      "%.2f |\n",
      threads, created.load(), threads, lat.size(), static_cast<double>(lat.size()) / secs,
      Pct(lat, 0.5), Pct(lat, 0.99));
  app->Stop();
  return 0;
}
