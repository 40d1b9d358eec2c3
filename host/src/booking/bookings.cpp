#include "booking/bookings.hpp"

#include <algorithm>

#include "accounts/account_repository.hpp"
#include "booking/calendar_repository.hpp"
#include "errors/error.hpp"

namespace sloth::booking {
namespace {

using json = nlohmann::json;
using std::chrono::minutes;

TimePoint Now() {
  return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

ServiceRules RulesOf(const Service& s, int slot_minutes) {
  return {s.duration_slots * slot_minutes, s.buffer_before_min, s.buffer_after_min,
          s.min_notice_min, s.horizon_days};
}

Service RequireService(db::Transaction& tx, std::int64_t id, const char* field) {
  auto s = BookingRepository().FindService(tx, id);
  if (!s || !s->active) throw errors::Error::NotFound("no such service", field);
  return *s;
}

// The specialists of `service` to look at, each with that day's hours and busy times.
std::vector<SpecialistDay> DayOf(db::Transaction& tx, const Service& service,
                                 std::optional<std::int64_t> only, date::year_month_day day,
                                 const std::string& zone, std::int64_t except = 0) {
  BookingRepository repo;
  const Interval bounds = DayBounds(day, zone);
  // Busy ranges reaching into the day, buffers of either side included.
  const Interval wide{bounds.from - std::chrono::hours(12), bounds.to + std::chrono::hours(12)};
  std::vector<SpecialistDay> out;
  for (const auto id : service.specialist_ids) {
    if (only && *only != id) continue;
    const auto sp = repo.FindSpecialist(tx, id);
    if (!sp || !sp->active) continue;
    SpecialistDay d;
    d.specialist_id = id;
    d.hours = repo.WorkingIntervals(tx, id, FormatDate(day), IsoWeekday(day));
    d.busy = repo.Busy(tx, id, wide, except);
    // What the specialist's own calendar holds (synced); a busy range with no buffers.
    if (sp->calendar_id && !sp->calendar_id->empty()) {
      const auto theirs = CalendarRepository().Busy(tx, *sp->calendar_id, wide);
      d.busy.insert(d.busy.end(), theirs.begin(), theirs.end());
    }
    out.push_back(std::move(d));
  }
  return out;
}

// The calendar-busy check the exclusion constraint cannot make: true when the specialist's
// calendar has a busy event overlapping the time the booking would keep.
bool CalendarBusy(db::Transaction& tx, const Specialist& sp, Interval kept) {
  if (!sp.calendar_id || sp.calendar_id->empty()) return false;
  return !CalendarRepository().Busy(tx, *sp.calendar_id, kept).empty();
}

// Thrown inside a transaction, answered outside it (alternatives read their own).
struct SlotTaken {};

}  // namespace

std::string OrganisationZone(db::Transaction& tx, std::int64_t tenant) {
  const auto org = accounts::AccountRepository().FindOrganization(tx, tenant);
  return org && !org->timezone.empty() ? org->timezone : "UTC";
}

void Bookings::Changed(db::Transaction& tx, std::int64_t tenant, const Booking& b) const {
  for (const auto& hook : hooks_) hook(tx, tenant, b);
}

std::string Bookings::Zone(std::int64_t tenant) {
  return pool_.InTenant(db::TenantId{tenant},
                        [&](db::Transaction& tx) { return OrganisationZone(tx, tenant); });
}

std::vector<Slot> Bookings::Availability(std::int64_t tenant, std::int64_t service_id,
                                         date::year_month_day day,
                                         std::optional<std::int64_t> specialist) {
  return pool_.InTenant(db::TenantId{tenant}, [&](db::Transaction& tx) {
    const auto service = RequireService(tx, service_id, "service");
    if (specialist && std::find(service.specialist_ids.begin(), service.specialist_ids.end(),
                                *specialist) == service.specialist_ids.end())
      throw errors::Error::NotFound("the specialist does not provide this service", "specialist");
    const std::string zone = OrganisationZone(tx, tenant);
    const int slot = BookingRepository().SlotMinutes(tx);
    return FreeSlots(day, zone, slot, RulesOf(service, slot),
                     DayOf(tx, service, specialist, day, zone), Now());
  });
}

Specialist Bookings::CheckBookable(db::Transaction& tx, const Service& service,
                                   std::int64_t specialist, TimePoint start,
                                   const std::string& zone) {
  if (std::find(service.specialist_ids.begin(), service.specialist_ids.end(), specialist) ==
      service.specialist_ids.end())
    throw errors::Error::InvalidArgument("the specialist does not provide this service",
                                         "specialist_id");
  const auto sp = BookingRepository().FindSpecialist(tx, specialist);
  if (!sp || !sp->active) throw errors::Error::NotFound("no such specialist", "specialist_id");
  const int slot = BookingRepository().SlotMinutes(tx);
  const auto day = LocalDate(start, zone);
  auto days = DayOf(tx, service, specialist, day, zone);
  for (auto& d : days) d.busy.clear();  // taken or not is the database's to say
  const auto slots = FreeSlots(day, zone, slot, RulesOf(service, slot), days, Now());
  const bool ok = std::any_of(slots.begin(), slots.end(), [&](const Slot& s) {
    return s.start == start && s.specialist_id == specialist;
  });
  if (!ok) {
    throw errors::Error::InvalidArgument(
        "start is not a bookable time for this service and specialist (working hours, slot "
        "grid, minimum notice and booking window)",
        "start");
  }
  return *sp;
}

void Bookings::Taken(std::int64_t tenant, std::int64_t service, TimePoint start,
                     std::int64_t specialist) {
  const std::string zone = Zone(tenant);
  json alternatives = json::array();
  for (const auto& s : Alternatives(tenant, service, start, specialist))
    alternatives.push_back(SlotJson(s, zone));
  throw errors::Error(errors::Code::kConflict, "that time was just taken", "start",
                      {{"reason", "slot_taken"}, {"alternatives", alternatives}});
}

Created Bookings::Create(std::int64_t tenant, const NewBooking& b) {
  BookingRepository repo;
  std::optional<Created> done;
  try {
    done = pool_.InTenant(db::TenantId{tenant}, [&](db::Transaction& tx) -> Created {
      if (b.idempotency_key) {
        if (auto earlier = repo.FindByIdempotencyKey(tx, *b.idempotency_key))
          return {*earlier, true};
      }
      const auto service = RequireService(tx, b.service_id, "service_id");
      const std::string zone = OrganisationZone(tx, tenant);
      const auto specialist = CheckBookable(tx, service, b.specialist_id, b.start, zone);
      const int slot = repo.SlotMinutes(tx);
      Booking row;
      row.specialist_id = b.specialist_id;
      row.service_id = b.service_id;
      row.start = b.start;
      row.end = b.start + minutes(service.duration_slots * slot);
      row.blocked_from = row.start - minutes(service.buffer_before_min);
      row.blocked_to = row.end + minutes(service.buffer_after_min);
      row.client = b.client;
      row.source = b.source;
      row.conversation_id = b.conversation_id;
      row.price = service.price;
      row.currency = service.currency;
      if (CalendarBusy(tx, specialist, {row.blocked_from, row.blocked_to})) throw SlotTaken{};
      repo.LockSpecialist(tx, b.specialist_id);
      const auto id = repo.InsertBooking(tx, row, b.idempotency_key);
      Created made{*repo.FindBooking(tx, id), false};
      Changed(tx, tenant, made.booking);
      return made;
    });
  } catch (const SlotTaken&) {
    Taken(tenant, b.service_id, b.start, b.specialist_id);
  } catch (const db::Error& e) {
    if (e.IsUniqueViolation() && b.idempotency_key) {
      // The same key raced us: the other request's booking is the answer.
      return pool_.InTenant(db::TenantId{tenant}, [&](db::Transaction& tx) {
        return Created{*repo.FindByIdempotencyKey(tx, *b.idempotency_key), true};
      });
    }
    if (!e.IsExclusionViolation()) throw;
    Taken(tenant, b.service_id, b.start, b.specialist_id);
  }
  return *done;
}

Booking Bookings::Move(std::int64_t tenant, std::int64_t id, std::optional<TimePoint> start,
                       std::optional<std::int64_t> specialist, const std::optional<Owner>& owner) {
  BookingRepository repo;
  std::int64_t service_id = 0;
  TimePoint wanted{};
  std::int64_t wanted_specialist = 0;
  try {
    return pool_.InTenant(db::TenantId{tenant}, [&](db::Transaction& tx) {
      auto b = repo.FindBooking(tx, id, /*lock=*/true);
      if (!b || (owner && (b->client.channel != owner->channel ||
                           b->client.external_id != owner->external_id)))
        throw errors::Error::NotFound("no such booking", "id");
      if (b->status != "confirmed")
        throw errors::Error(errors::Code::kConflict, "the booking is " + b->status, "id",
                            {{"reason", "not_confirmed"}, {"status", b->status}});
      const auto service = RequireService(tx, b->service_id, "service_id");
      const std::string zone = OrganisationZone(tx, tenant);
      service_id = b->service_id;
      wanted = start.value_or(b->start);
      wanted_specialist = specialist.value_or(b->specialist_id);
      const auto specialist_row = CheckBookable(tx, service, wanted_specialist, wanted, zone);
      const int slot = repo.SlotMinutes(tx);
      const json from = {{"start", FormatTimestamp(b->start, zone)},
                         {"specialist_id", b->specialist_id}};
      b->specialist_id = wanted_specialist;
      b->start = wanted;
      b->end = wanted + minutes(service.duration_slots * slot);
      b->blocked_from = b->start - minutes(service.buffer_before_min);
      b->blocked_to = b->end + minutes(service.buffer_after_min);
      // By value: std::minmax of a temporary would hand back dangling references.
      const std::int64_t before = from["specialist_id"].get<std::int64_t>();
      const std::int64_t low = std::min(before, b->specialist_id);
      const std::int64_t high = std::max(before, b->specialist_id);
      repo.LockSpecialist(tx, low);
      if (high != low) repo.LockSpecialist(tx, high);
      if (CalendarBusy(tx, specialist_row, {b->blocked_from, b->blocked_to})) throw SlotTaken{};
      repo.MoveBooking(tx, *b);
      repo.AddHistory(
          tx, id, "moved",
          {{"from", from},
           {"to",
            {{"start", FormatTimestamp(b->start, zone)}, {"specialist_id", b->specialist_id}}}});
      auto moved = *repo.FindBooking(tx, id);
      Changed(tx, tenant, moved);
      return moved;
    });
  } catch (const SlotTaken&) {
    Taken(tenant, service_id, wanted, wanted_specialist);
  } catch (const db::Error& e) {
    if (!e.IsExclusionViolation()) throw;
    Taken(tenant, service_id, wanted, wanted_specialist);
  }
}

Booking Bookings::Cancel(std::int64_t tenant, std::int64_t id, const std::optional<Owner>& owner) {
  BookingRepository repo;
  return pool_.InTenant(db::TenantId{tenant}, [&](db::Transaction& tx) {
    const auto b = repo.FindBooking(tx, id, /*lock=*/true);
    if (!b || (owner && (b->client.channel != owner->channel ||
                         b->client.external_id != owner->external_id)))
      throw errors::Error::NotFound("no such booking", "id");
    if (!repo.SetStatus(tx, id, "confirmed", "cancelled")) {
      throw errors::Error(errors::Code::kConflict,
                          b->status == "cancelled" ? "the booking is already cancelled"
                                                   : "the booking is " + b->status,
                          "id", {{"reason", "not_confirmed"}, {"status", b->status}});
    }
    repo.AddHistory(tx, id, "cancelled", {{"by", owner ? "client" : "staff"}});
    auto cancelled = *repo.FindBooking(tx, id);
    Changed(tx, tenant, cancelled);
    return cancelled;
  });
}

Booking Bookings::Confirm(std::int64_t tenant, std::int64_t id, const Owner& owner) {
  BookingRepository repo;
  return pool_.InTenant(db::TenantId{tenant}, [&](db::Transaction& tx) {
    const auto b = repo.FindBooking(tx, id, /*lock=*/true);
    if (!b || b->client.channel != owner.channel || b->client.external_id != owner.external_id)
      throw errors::Error::NotFound("no such booking", "id");
    if (b->status != "confirmed")
      throw errors::Error(errors::Code::kConflict, "the booking is " + b->status, "id",
                          {{"reason", "not_confirmed"}, {"status", b->status}});
    if (repo.MarkClientConfirmed(tx, id)) {
      repo.AddHistory(tx, id, "client_confirmed", {{"by", "client"}});
      auto confirmed = *repo.FindBooking(tx, id);
      Changed(tx, tenant, confirmed);
      return confirmed;
    }
    return *b;
  });
}

Booking Bookings::Close(std::int64_t tenant, std::int64_t id, const std::string& status) {
  BookingRepository repo;
  return pool_.InTenant(db::TenantId{tenant}, [&](db::Transaction& tx) {
    const auto b = repo.FindBooking(tx, id, /*lock=*/true);
    if (!b) throw errors::Error::NotFound("no such booking", "id");
    if (!repo.SetStatus(tx, id, "confirmed", status))
      throw errors::Error(errors::Code::kConflict, "the booking is " + b->status, "id",
                          {{"reason", "not_confirmed"}, {"status", b->status}});
    repo.AddHistory(tx, id, status, json::object());
    return *repo.FindBooking(tx, id);
  });
}

std::vector<Slot> Bookings::Alternatives(std::int64_t tenant, std::int64_t service_id,
                                         TimePoint around, std::optional<std::int64_t> specialist,
                                         int n) {
  return pool_.InTenant(db::TenantId{tenant}, [&](db::Transaction& tx) {
    const auto service = RequireService(tx, service_id, "service_id");
    const std::string zone = OrganisationZone(tx, tenant);
    const int slot = BookingRepository().SlotMinutes(tx);
    std::vector<Slot> all;
    const auto first = LocalDate(around, zone);
    for (int d = 0; d < 3 && static_cast<int>(all.size()) < n * 4; ++d) {
      const date::year_month_day day{date::sys_days{first} + date::days(d)};
      const auto slots = FreeSlots(day, zone, slot, RulesOf(service, slot),
                                   DayOf(tx, service, std::nullopt, day, zone), Now());
      all.insert(all.end(), slots.begin(), slots.end());
    }
    auto distance = [&](const Slot& s) {
      const auto d = s.start > around ? s.start - around : around - s.start;
      // The same specialist first when equally near.
      return std::make_pair(d, specialist && s.specialist_id == *specialist ? 0 : 1);
    };
    std::sort(all.begin(), all.end(),
              [&](const Slot& a, const Slot& b) { return distance(a) < distance(b); });
    if (static_cast<int>(all.size()) > n) all.resize(static_cast<std::size_t>(n));
    std::sort(all.begin(), all.end(),
              [](const Slot& a, const Slot& b) { return a.start < b.start; });
    return all;
  });
}

json Bookings::ToJson(const Booking& b, const std::string& zone) const {
  return {{"id", b.id},
          {"status", b.status},
          {"start", FormatTimestamp(b.start, zone)},
          {"end", FormatTimestamp(b.end, zone)},
          {"specialist_id", b.specialist_id},
          {"service_id", b.service_id},
          {"client",
           {{"name", b.client.name},
            {"phone", b.client.phone.empty() ? json(nullptr) : json(b.client.phone)}}},
          {"source", b.source},
          {"price", b.price},
          {"currency", b.currency},
          {"version", b.version},
          {"calendar", b.calendar.state.empty() ? json(nullptr)
                                                : json{{"state", b.calendar.state},
                                                       {"calendar_id", b.calendar.calendar_id},
                                                       {"event_id", b.calendar.event_id}}},
          {"client_confirmed", b.client_confirmed},
          {"created_at", b.created_at}};
}

json Bookings::SlotJson(const Slot& s, const std::string& zone) const {
  return {{"start", FormatTimestamp(s.start, zone)},
          {"end", FormatTimestamp(s.end, zone)},
          {"specialist_id", s.specialist_id}};
}

}  // namespace sloth::booking
