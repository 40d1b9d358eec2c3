#include "jobs/cron.hpp"

#include <sstream>
#include <stdexcept>
#include <vector>

#include <date/tz.h>

namespace sloth::jobs {
namespace {

template <std::size_t N>
void ParseField(const std::string& field, int lo, int hi, std::bitset<N>& bits, bool& any,
                const std::string& whole) {
  any = field == "*";
  std::stringstream parts(field);
  std::string part;
  while (std::getline(parts, part, ',')) {
    int step = 1;
    if (const auto slash = part.find('/'); slash != std::string::npos) {
      step = std::stoi(part.substr(slash + 1));
      part = part.substr(0, slash);
      if (step < 1) throw std::invalid_argument("cron '" + whole + "': step must be positive");
    }
    int from = lo, to = hi;
    if (part != "*") {
      if (const auto dash = part.find('-'); dash != std::string::npos) {
        from = std::stoi(part.substr(0, dash));
        to = std::stoi(part.substr(dash + 1));
      } else {
        from = to = std::stoi(part);
        if (step > 1) to = hi;  // "5/15" = from 5 every 15
      }
    }
    if (from < lo || to > hi || from > to) {
      throw std::invalid_argument("cron '" + whole + "': '" + part + "' is out of range " +
                                  std::to_string(lo) + "-" + std::to_string(hi));
    }
    for (int v = from; v <= to; v += step) bits.set(static_cast<std::size_t>(v));
  }
}

}  // namespace

CronExpr CronExpr::Parse(const std::string& text) {
  std::stringstream ss(text);
  std::vector<std::string> f;
  for (std::string s; ss >> s;) f.push_back(s);
  if (f.size() != 5) throw std::invalid_argument("cron '" + text + "': expected 5 fields");
  CronExpr c;
  c.text_ = text;
  bool unused = false;
  try {
    ParseField(f[0], 0, 59, c.minute_, unused, text);
    ParseField(f[1], 0, 23, c.hour_, unused, text);
    ParseField(f[2], 1, 31, c.dom_, c.dom_any_, text);
    ParseField(f[3], 1, 12, c.month_, unused, text);
    ParseField(f[4], 0, 7, c.dow_, c.dow_any_, text);
  } catch (const std::invalid_argument& e) {
    if (std::string(e.what()).rfind("cron", 0) == 0) throw;
    throw std::invalid_argument("cron '" + text + "': not a number");
  } catch (const std::out_of_range&) {
    throw std::invalid_argument("cron '" + text + "': number out of range");
  }
  if (c.dow_.test(7)) c.dow_.set(0);
  return c;
}

bool CronExpr::Matches(const std::tm& t) const {
  if (!minute_.test(static_cast<std::size_t>(t.tm_min)) ||
      !hour_.test(static_cast<std::size_t>(t.tm_hour)) ||
      !month_.test(static_cast<std::size_t>(t.tm_mon + 1))) {
    return false;
  }
  const bool dom = dom_.test(static_cast<std::size_t>(t.tm_mday));
  const bool dow = dow_.test(static_cast<std::size_t>(t.tm_wday));
  if (dom_any_ && dow_any_) return true;
  if (dom_any_) return dow;
  if (dow_any_) return dom;
  return dom || dow;
}

namespace {

std::tm LocalTime(std::time_t t, const date::time_zone* zone) {
  std::tm local{};
  if (!zone) {
    localtime_r(&t, &local);
    return local;
  }
  const auto at = zone->to_local(date::sys_seconds{std::chrono::seconds{t}});
  const auto day = date::floor<date::days>(at);
  const date::year_month_day ymd{day};
  const date::hh_mm_ss<std::chrono::seconds> hms{at - day};
  local.tm_year = static_cast<int>(ymd.year()) - 1900;
  local.tm_mon = static_cast<int>(static_cast<unsigned>(ymd.month())) - 1;
  local.tm_mday = static_cast<int>(static_cast<unsigned>(ymd.day()));
  local.tm_hour = static_cast<int>(hms.hours().count());
  local.tm_min = static_cast<int>(hms.minutes().count());
  local.tm_sec = static_cast<int>(hms.seconds().count());
  local.tm_wday = static_cast<int>(date::weekday{day}.c_encoding());
  return local;
}

}  // namespace

std::optional<std::time_t> CronExpr::Latest(std::time_t t, std::chrono::hours horizon,
                                            const date::time_zone* zone) const {
  std::time_t m = t - t % 60;
  const std::time_t stop = t - static_cast<std::time_t>(horizon.count()) * 3600;
  while (m >= stop) {
    const std::tm local = LocalTime(m, zone);
    if (!hour_.test(static_cast<std::size_t>(local.tm_hour)) ||
        !month_.test(static_cast<std::size_t>(local.tm_mon + 1))) {
      m -= (local.tm_min + 1) * 60;  // skip to the previous hour's last minute
      continue;
    }
    if (Matches(local)) return m;
    m -= 60;
  }
  return std::nullopt;
}

}  // namespace sloth::jobs
