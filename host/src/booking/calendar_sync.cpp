#include "booking/calendar_sync.hpp"

#include <charconv>

#include <spdlog/spdlog.h>

#include "booking/booking_repository.hpp"
#include "booking/bookings.hpp"
#include "booking/calendar_repository.hpp"
#include "integrations/integration_repository.hpp"
#include "tenants/tenant_repository.hpp"

namespace sloth::booking {
namespace {

using json = nlohmann::json;

// A failed provider call fails the job: retried after the provider's delay when it gave
// one, else with the queue's backoff.
void Check(const plugins::CallOutcome& out, const char* what) {
  if (out.ok()) return;
  const std::string msg = std::string("calendar: ") + what + ": " + out.error;
  if (out.retry_after_ms > 0)
    throw jobs::RetryAfter(std::chrono::seconds((out.retry_after_ms + 999) / 1000), msg);
  throw std::runtime_error(msg);
}

std::optional<std::int64_t> ParseId(const json& v) {
  if (!v.is_string()) return std::nullopt;
  const std::string s = v;
  std::int64_t id = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || p != s.data() + s.size() || id <= 0) return std::nullopt;
  return id;
}

constexpr auto kFreeBusyHorizon = std::chrono::hours(24 * 62);

}  // namespace

CalendarSync::Listing CalendarSync::FreeBusyListing(plugins::PluginInstance& inst,
                                                    const std::string& calendar_id, TimePoint since,
                                                    const std::string& why) {
  const auto out =
      inst.FreeBusy(json{{"calendar_id", calendar_id},
                         {"time_min", FormatTimestamp(since, "UTC")},
                         {"time_max", FormatTimestamp(since + kFreeBusyHorizon, "UTC")}}
                        .dump());
  if (!out.ok())
    throw std::runtime_error("calendar: " + calendar_id + ": events.list (" + why +
                             ") and freeBusy (" + out.error + ") both refused");
  const json r = json::parse(out.output, nullptr, false);
  Listing l{calendar_id, "", true, {}};
  for (const auto& b : r.is_object() ? r.value("busy", json::array()) : json::array()) {
    CalendarEventRow row;
    row.start = ParseTimestamp(b.value("start", ""));
    row.end = ParseTimestamp(b.value("end", ""));
    if (!row.start || !row.end) continue;
    row.event_id = "freebusy-" + std::to_string(row.start->time_since_epoch().count()) + "-" +
                   std::to_string(row.end->time_since_epoch().count());
    row.busy = true;
    l.events.push_back(std::move(row));
  }
  return l;
}

std::string CalendarSync::EventId(std::int64_t tenant, std::int64_t booking, int version) {
  return "sloth" + std::to_string(tenant) + "b" + std::to_string(booking) + "v" +
         std::to_string(version);
}

std::optional<integrations::Integration> CalendarSync::CalendarOf(db::Transaction& tx,
                                                                  std::int64_t tenant) {
  for (auto& i : integrations::IntegrationRepository().List(tx, tenant, 100)) {
    if (i.status != "active") continue;
    const auto p = runtime_.plugins().Find(i.plugin_id);
    if (p && (p->manifest.kind_bits & SLOTH_KIND_CALENDAR)) return i;
  }
  return std::nullopt;
}

void CalendarSync::QueuePush(db::Transaction& tx, std::int64_t tenant, std::int64_t booking) {
  if (!CalendarOf(tx, tenant)) return;
  jobs::EnqueueOptions o;
  o.tenant_id = tenant;
  jobs::Enqueue(tx, "booking.calendar_push", {{"booking_id", booking}}, o);
}

void CalendarSync::Register(jobs::WorkerPool& jobs) {
  jobs.RegisterStaged("booking.calendar_push", [this](jobs::StagedJobContext& c) { Push(c); });
  jobs.RegisterStaged("booking.calendar_sync", [this](jobs::StagedJobContext& c) { Sync(c); });
  jobs.Register("booking.calendar_sync_scan", [this](jobs::JobContext& ctx) {
    for (const auto& t : tenants::TenantRepository::Ids(ctx.tx)) {
      if (!CalendarOf(ctx.tx, t.value)) continue;
      jobs::EnqueueOptions o;
      o.tenant_id = t.value;
      jobs::Enqueue(ctx.tx, "booking.calendar_sync", json::object(), o);
    }
  });
}

void CalendarSync::Push(jobs::StagedJobContext& ctx) {
  if (!ctx.job.tenant_id) return;
  const std::int64_t tenant = *ctx.job.tenant_id;
  const std::int64_t id = ctx.job.payload.value("booking_id", std::int64_t{0});
  struct Seen {
    std::optional<integrations::Integration> calendar;
    std::optional<Booking> booking;
    std::string specialist_calendar, service, zone;
  };
  const Seen seen = ctx.Read([&](db::Transaction& tx) {
    Seen s;
    s.calendar = CalendarOf(tx, tenant);
    BookingRepository repo;
    s.booking = repo.FindBooking(tx, id);
    if (!s.booking) return s;
    const auto sp = repo.FindSpecialist(tx, s.booking->specialist_id);
    if (sp && sp->calendar_id) s.specialist_calendar = *sp->calendar_id;
    const auto sv = repo.FindService(tx, s.booking->service_id);
    s.service = sv ? sv->name : "Booking";
    s.zone = OrganisationZone(tx, tenant);
    return s;
  });
  if (!seen.calendar || !seen.booking) return;
  const Booking& b = *seen.booking;
  auto inst = runtime_.Instance(*seen.calendar);
  const std::string target =
      seen.specialist_calendar.empty()
          ? runtime_.OpenConfig(*seen.calendar).value("calendar_id", "primary")
          : seen.specialist_calendar;
  CalendarRepository cal;
  if (b.status != "confirmed") {
    if (b.status == "cancelled" && !b.calendar.event_id.empty()) {
      Check(inst->DeleteEvent(b.calendar.calendar_id, b.calendar.event_id), "events.delete");
      ctx.Finish([&](db::Transaction& tx) { cal.SetBookingEvent(tx, id, "", "", ""); });
    }
    return;
  }
  json event = {{"calendar_id", target},
                {"summary", seen.service + (b.client.name.empty() ? "" : " – " + b.client.name) +
                                (b.client_confirmed ? " ✓" : "")},
                {"description", "Booked through Sloth (" + b.source + ")" +
                                    (b.client.phone.empty() ? "" : ", " + b.client.phone)},
                {"start", FormatTimestamp(b.start, seen.zone)},
                {"end", FormatTimestamp(b.end, seen.zone)},
                {"time_zone", seen.zone},
                {"booking_id", std::to_string(b.id)}};
  if (!b.calendar.event_id.empty() && b.calendar.calendar_id == target) {
    if (b.calendar.state == "deleted_in_calendar") return;  // the salon decides first
    event["event_id"] = b.calendar.event_id;
    const auto out = inst->UpdateEvent(event.dump());
    if (out.status == SLOTH_NOT_FOUND) {
      ctx.Finish([&](db::Transaction& tx) {
        if (cal.MarkEventDeleted(tx, b.calendar.calendar_id, b.calendar.event_id))
          BookingRepository().AddHistory(tx, id, "calendar_event_deleted",
                                         {{"event_id", b.calendar.event_id}});
      });
      return;
    }
    Check(out, "events.patch");
  } else {
    // First write, or the booking moved to a specialist with another calendar.
    if (!b.calendar.event_id.empty())
      Check(inst->DeleteEvent(b.calendar.calendar_id, b.calendar.event_id), "events.delete");
    event["event_id"] = EventId(tenant, b.id, b.version);
    Check(inst->CreateEvent(event.dump()), "events.insert");
  }
  ctx.Finish([&](db::Transaction& tx) {
    cal.SetBookingEvent(tx, id, target, event["event_id"], "synced");
  });
}

void CalendarSync::Sync(jobs::StagedJobContext& ctx) {
  if (!ctx.job.tenant_id) return;
  const std::int64_t tenant = *ctx.job.tenant_id;
  CalendarRepository cal;
  struct Seen {
    std::optional<integrations::Integration> calendar;
    std::vector<std::pair<std::string, std::optional<std::string>>> calendars;  // id, token
  };
  Seen seen = ctx.Read([&](db::Transaction& tx) {
    Seen s;
    s.calendar = CalendarOf(tx, tenant);
    if (!s.calendar) return s;
    auto ids = cal.SpecialistCalendars(tx);
    // The default calendar too: bookings of specialists without their own go there.
    const std::string fallback = runtime_.OpenConfig(*s.calendar).value("calendar_id", "primary");
    if (std::find(ids.begin(), ids.end(), fallback) == ids.end()) ids.push_back(fallback);
    for (const auto& id : ids) s.calendars.emplace_back(id, cal.SyncToken(tx, id));
    return s;
  });
  if (!seen.calendar) return;
  auto inst = runtime_.Instance(*seen.calendar);
  const auto since = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) -
                     std::chrono::hours(24);
  std::vector<Listing> listings;
  for (const auto& [id, token] : seen.calendars) {
    json req = {{"calendar_id", id}, {"time_min", FormatTimestamp(since, "UTC")}};
    if (token) req["sync_token"] = *token;
    const auto out = inst->ListEvents(req.dump());
    if (out.status == SLOTH_UNAUTHENTICATED || out.status == SLOTH_NOT_FOUND) {
      // A calendar shared as free/busy only (a specialist's own): its events cannot be
      // read, its busy times can. They replace what was known, window by window.
      listings.push_back(FreeBusyListing(*inst, id, since, out.error));
      continue;
    }
    Check(out, "events.list");
    const json r = json::parse(out.output, nullptr, false);
    if (!r.is_object()) throw std::runtime_error("calendar: events.list output is not JSON");
    Listing l{id, r.value("sync_token", ""), r.value("full", !token.has_value()), {}};
    for (const auto& e : r.value("events", json::array())) {
      if (!e.is_object() || !e.value("id", json()).is_string()) continue;
      CalendarEventRow row;
      row.event_id = e["id"];
      row.busy = e.value("busy", false);
      row.cancelled = e.value("status", "") == "cancelled";
      if (e.contains("start")) row.start = ParseTimestamp(e.value("start", ""));
      if (e.contains("end")) row.end = ParseTimestamp(e.value("end", ""));
      row.booking_id = ParseId(e.value("booking_id", json()));
      l.events.push_back(std::move(row));
    }
    listings.push_back(std::move(l));
  }
  ctx.Finish([&](db::Transaction& tx) {
    for (const auto& l : listings) {
      cal.Apply(tx, l.calendar_id, l.events, l.full, l.next_token);
      for (const auto& e : l.events) {
        if (!e.cancelled) continue;
        if (const auto booking = cal.MarkEventDeleted(tx, l.calendar_id, e.event_id)) {
          BookingRepository().AddHistory(
              tx, *booking, "calendar_event_deleted",
              {{"event_id", e.event_id}, {"calendar_id", l.calendar_id}});
          spdlog::warn("calendar: tenant {} booking {}: its event was deleted in the calendar",
                       tenant, *booking);
        }
      }
    }
  });
}

}  // namespace sloth::booking
