#include "booking/booking_routes.hpp"

#include "api/validation.hpp"
#include "errors/error.hpp"

namespace sloth::booking {
namespace {

using json = nlohmann::json;

std::int64_t Integer(const json& body, const char* field, std::int64_t min, std::int64_t max,
                     std::optional<std::int64_t> def = std::nullopt) {
  if (!body.contains(field) || body[field].is_null()) {
    if (def) return *def;
    throw errors::Error::InvalidArgument(std::string(field) + " is required", field);
  }
  const auto& v = body[field];
  if (!v.is_number_integer() || v.get<std::int64_t>() < min || v.get<std::int64_t>() > max) {
    throw errors::Error::InvalidArgument(std::string(field) + " must be an integer from " +
                                             std::to_string(min) + " to " + std::to_string(max),
                                         field);
  }
  return v.get<std::int64_t>();
}

// An id in the query string: a positive integer, or 400 naming the parameter.
std::int64_t QueryId(const std::string& value, const char* field) {
  std::int64_t v = 0;
  if (value.empty() || value.size() > 18 ||
      value.find_first_not_of("0123456789") != std::string::npos || (v = std::stoll(value)) <= 0)
    throw errors::Error::InvalidArgument(std::string(field) + " must be an id", field);
  return v;
}

std::vector<std::int64_t> Ids(const json& body, const char* field) {
  if (!body.contains(field)) return {};
  if (!body[field].is_array() || body[field].size() > 200)
    throw errors::Error::InvalidArgument(std::string(field) + " must be a list of ids", field);
  std::vector<std::int64_t> out;
  for (const auto& v : body[field]) {
    if (!v.is_number_integer() || v.get<std::int64_t>() <= 0)
      throw errors::Error::InvalidArgument(std::string(field) + " must be a list of ids", field);
    out.push_back(v.get<std::int64_t>());
  }
  return out;
}

int Clock(const json& v, const std::string& field) {
  const auto m = v.is_string() ? ParseClock(v.get<std::string>()) : std::nullopt;
  if (!m) throw errors::Error::InvalidArgument(field + " must be a time HH:MM", field);
  return *m;
}

json SpecialistJson(const Specialist& s) {
  return {{"id", s.id},
          {"name", s.name},
          {"active", s.active},
          {"calendar_id", s.calendar_id ? json(*s.calendar_id) : json(nullptr)}};
}

json ServiceJson(const Service& s, int slot_minutes) {
  return {{"id", s.id},
          {"name", s.name},
          {"duration_slots", s.duration_slots},
          {"duration_minutes", s.duration_slots * slot_minutes},
          {"price", s.price},
          {"currency", s.currency},
          {"specialist_ids", s.specialist_ids},
          {"buffer_before_minutes", s.buffer_before_min},
          {"buffer_after_minutes", s.buffer_after_min},
          {"min_notice_minutes", s.min_notice_min},
          {"booking_window_days", s.horizon_days},
          {"active", s.active}};
}

// Fields of a service body over `s` (a create starts from the defaults).
Service ReadService(const json& body, Service s, db::Transaction& tx, bool create) {
  api::OnlyFields(body, {"name", "duration_slots", "price", "currency", "specialist_ids",
                         "buffer_before_minutes", "buffer_after_minutes", "min_notice_minutes",
                         "booking_window_days", "active"});
  if (create || body.contains("name")) s.name = api::RequiredString(body, "name", 200);
  if (create || body.contains("duration_slots"))
    s.duration_slots = static_cast<int>(Integer(body, "duration_slots", 1, 96));
  s.price = Integer(body, "price", 0, 1'000'000'000, s.price);
  if (auto c = api::OptionalString(body, "currency", 3)) {
    if (c->size() != 3 || c->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != std::string::npos)
      throw errors::Error::InvalidArgument("currency must be an ISO 4217 code (UAH, EUR)",
                                           "currency");
    s.currency = *c;
  }
  s.buffer_before_min =
      static_cast<int>(Integer(body, "buffer_before_minutes", 0, 240, s.buffer_before_min));
  s.buffer_after_min =
      static_cast<int>(Integer(body, "buffer_after_minutes", 0, 240, s.buffer_after_min));
  s.min_notice_min =
      static_cast<int>(Integer(body, "min_notice_minutes", 0, 43200, s.min_notice_min));
  s.horizon_days = static_cast<int>(Integer(body, "booking_window_days", 1, 730, s.horizon_days));
  if (body.contains("active")) {
    if (!body["active"].is_boolean())
      throw errors::Error::InvalidArgument("active must be true or false", "active");
    s.active = body["active"].get<bool>();
  }
  if (create || body.contains("specialist_ids")) {
    s.specialist_ids = Ids(body, "specialist_ids");
    BookingRepository repo;
    for (const auto id : s.specialist_ids) {
      if (!repo.FindSpecialist(tx, id))
        throw errors::Error::InvalidArgument("no specialist " + std::to_string(id),
                                             "specialist_ids");
    }
  }
  return s;
}

void AddCatalogRoutes(api::Api& api) {
  api.Add("POST", "/api/booking/specialists", api::Access::kTenant, [](api::Context& ctx) {
    const json body = ctx.request.Json();
    api::OnlyFields(body, {"name", "active", "calendar_id"});
    Specialist s;
    s.name = api::RequiredString(body, "name", 200);
    if (body.contains("active")) s.active = body.value("active", true);
    if (auto c = api::OptionalString(body, "calendar_id", 500); c && !c->empty()) s.calendar_id = c;
    BookingRepository repo;
    s.id = repo.AddSpecialist(ctx.tx, s);
    return http::Response::Json(201, SpecialistJson(s));
  });
  api.Add("GET", "/api/booking/specialists", api::Access::kTenant, [](api::Context& ctx) {
    const auto page = api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"));
    const auto rows = BookingRepository().Specialists(ctx.tx, page.after, page.limit + 1);
    return http::Response::Json(
        200, api::PageJson(
                 rows, page, [](const Specialist& s) { return s.id; }, SpecialistJson));
  });
  api.Add("PUT", "/api/booking/specialists/{id}", api::Access::kTenant, [](api::Context& ctx) {
    const auto id = api::IdParam(ctx.request.Param("id"), "id");
    BookingRepository repo;
    auto s = repo.FindSpecialist(ctx.tx, id);
    if (!s) throw errors::Error::NotFound("no such specialist", "id");
    const json body = ctx.request.Json();
    api::OnlyFields(body, {"name", "active", "calendar_id"});
    if (body.contains("name")) s->name = api::RequiredString(body, "name", 200);
    if (body.contains("active")) {
      if (!body["active"].is_boolean())
        throw errors::Error::InvalidArgument("active must be true or false", "active");
      s->active = body["active"].get<bool>();
    }
    if (auto c = api::OptionalString(body, "calendar_id", 500))
      s->calendar_id = c->empty() ? std::nullopt : std::optional<std::string>(*c);
    repo.UpdateSpecialist(ctx.tx, *s);
    return http::Response::Json(200, SpecialistJson(*s));
  });
  // Bookings keep their specialist: a removal deactivates.
  api.Add("DELETE", "/api/booking/specialists/{id}", api::Access::kTenant, [](api::Context& ctx) {
    const auto id = api::IdParam(ctx.request.Param("id"), "id");
    BookingRepository repo;
    auto s = repo.FindSpecialist(ctx.tx, id);
    if (!s) throw errors::Error::NotFound("no such specialist", "id");
    s->active = false;
    repo.UpdateSpecialist(ctx.tx, *s);
    return http::Response::NoContent();
  });

  api.Add(
      "PUT", "/api/booking/specialists/{id}/hours", api::Access::kTenant, [](api::Context& ctx) {
        const auto id = api::IdParam(ctx.request.Param("id"), "id");
        BookingRepository repo;
        if (!repo.FindSpecialist(ctx.tx, id))
          throw errors::Error::NotFound("no such specialist", "id");
        const json body = ctx.request.Json();
        api::OnlyFields(body, {"hours"});
        if (!body.contains("hours") || !body["hours"].is_array() || body["hours"].size() > 100)
          throw errors::Error::InvalidArgument("hours must be a list", "hours");
        std::vector<Hours> hours;
        for (std::size_t i = 0; i < body["hours"].size(); ++i) {
          const auto& h = body["hours"][i];
          const std::string at = "hours[" + std::to_string(i) + "]";
          if (!h.is_object()) throw errors::Error::InvalidArgument(at + " must be an object", at);
          Hours row;
          row.weekday = static_cast<int>(Integer(h, "weekday", 1, 7));
          row.interval = {Clock(h.value("start", json()), at + ".start"),
                          Clock(h.value("end", json()), at + ".end")};
          if (row.interval.start_min >= row.interval.end_min)
            throw errors::Error::InvalidArgument(at + ": end must be after start", at + ".end");
          for (const auto& other : hours) {
            if (other.weekday == row.weekday && other.interval.start_min < row.interval.end_min &&
                row.interval.start_min < other.interval.end_min)
              throw errors::Error::InvalidArgument(at + " overlaps another interval", at);
          }
          hours.push_back(row);
        }
        repo.ReplaceHours(ctx.tx, id, hours);
        json out = json::array();
        for (const auto& h : hours)
          out.push_back({{"weekday", h.weekday},
                         {"start", FormatClock(h.interval.start_min)},
                         {"end", FormatClock(h.interval.end_min)}});
        return http::Response::Json(200, {{"specialist_id", id}, {"hours", out}});
      });
  api.Add("GET", "/api/booking/specialists/{id}/hours", api::Access::kTenant,
          [](api::Context& ctx) {
            const auto id = api::IdParam(ctx.request.Param("id"), "id");
            BookingRepository repo;
            if (!repo.FindSpecialist(ctx.tx, id))
              throw errors::Error::NotFound("no such specialist", "id");
            json out = json::array();
            for (const auto& h : repo.HoursOf(ctx.tx, id))
              out.push_back({{"weekday", h.weekday},
                             {"start", FormatClock(h.interval.start_min)},
                             {"end", FormatClock(h.interval.end_min)}});
            return http::Response::Json(200, {{"specialist_id", id}, {"hours", out}});
          });

  auto exception_json = [](const Exception& e) {
    json j = {{"id", e.id}, {"specialist_id", e.specialist_id}, {"date", e.day}, {"note", e.note}};
    j["start"] = e.interval ? json(FormatClock(e.interval->start_min)) : json(nullptr);
    j["end"] = e.interval ? json(FormatClock(e.interval->end_min)) : json(nullptr);
    j["day_off"] = !e.interval.has_value();
    return j;
  };
  api.Add("POST", "/api/booking/specialists/{id}/exceptions", api::Access::kTenant,
          [exception_json](api::Context& ctx) {
            const auto id = api::IdParam(ctx.request.Param("id"), "id");
            BookingRepository repo;
            if (!repo.FindSpecialist(ctx.tx, id))
              throw errors::Error::NotFound("no such specialist", "id");
            const json body = ctx.request.Json();
            api::OnlyFields(body, {"date", "start", "end", "note"});
            Exception e;
            e.specialist_id = id;
            const auto day = body.contains("date") && body["date"].is_string()
                                 ? ParseDate(body["date"].get<std::string>())
                                 : std::nullopt;
            if (!day) throw errors::Error::InvalidArgument("date must be YYYY-MM-DD", "date");
            e.day = FormatDate(*day);
            if (body.contains("start") || body.contains("end")) {
              e.interval = LocalInterval{Clock(body.value("start", json()), "start"),
                                         Clock(body.value("end", json()), "end")};
              if (e.interval->start_min >= e.interval->end_min)
                throw errors::Error::InvalidArgument("end must be after start", "end");
            }
            e.note = api::OptionalString(body, "note", 500).value_or("");
            e.id = repo.AddException(ctx.tx, e);
            return http::Response::Json(201, exception_json(e));
          });
  api.Add("GET", "/api/booking/specialists/{id}/exceptions", api::Access::kTenant,
          [exception_json](api::Context& ctx) {
            const auto id = api::IdParam(ctx.request.Param("id"), "id");
            BookingRepository repo;
            if (!repo.FindSpecialist(ctx.tx, id))
              throw errors::Error::NotFound("no such specialist", "id");
            const auto page =
                api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"));
            const auto rows = repo.ExceptionsOf(ctx.tx, id, page.after, page.limit + 1);
            return http::Response::Json(
                200, api::PageJson(
                         rows, page, [](const Exception& e) { return e.id; }, exception_json));
          });
  api.Add("DELETE", "/api/booking/exceptions/{id}", api::Access::kTenant, [](api::Context& ctx) {
    const auto id = api::IdParam(ctx.request.Param("id"), "id");
    if (!BookingRepository().RemoveException(ctx.tx, id))
      throw errors::Error::NotFound("no such exception", "id");
    return http::Response::NoContent();
  });

  api.Add("POST", "/api/booking/services", api::Access::kTenant, [](api::Context& ctx) {
    BookingRepository repo;
    Service s = ReadService(ctx.request.Json(), Service{}, ctx.tx, true);
    s.id = repo.AddService(ctx.tx, s);
    return http::Response::Json(201, ServiceJson(s, repo.SlotMinutes(ctx.tx)));
  });
  api.Add("GET", "/api/booking/services", api::Access::kTenant, [](api::Context& ctx) {
    const auto page = api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"));
    BookingRepository repo;
    const int slot = repo.SlotMinutes(ctx.tx);
    const auto rows = repo.Services(ctx.tx, page.after, page.limit + 1);
    return http::Response::Json(200,
                                api::PageJson(
                                    rows, page, [](const Service& s) { return s.id; },
                                    [slot](const Service& s) { return ServiceJson(s, slot); }));
  });
  api.Add("PUT", "/api/booking/services/{id}", api::Access::kTenant, [](api::Context& ctx) {
    const auto id = api::IdParam(ctx.request.Param("id"), "id");
    BookingRepository repo;
    const auto existing = repo.FindService(ctx.tx, id);
    if (!existing) throw errors::Error::NotFound("no such service", "id");
    const Service s = ReadService(ctx.request.Json(), *existing, ctx.tx, false);
    repo.UpdateService(ctx.tx, s);
    return http::Response::Json(200, ServiceJson(s, repo.SlotMinutes(ctx.tx)));
  });
  api.Add("DELETE", "/api/booking/services/{id}", api::Access::kTenant, [](api::Context& ctx) {
    const auto id = api::IdParam(ctx.request.Param("id"), "id");
    BookingRepository repo;
    auto s = repo.FindService(ctx.tx, id);
    if (!s) throw errors::Error::NotFound("no such service", "id");
    s->active = false;  // bookings keep their service
    repo.UpdateService(ctx.tx, *s);
    return http::Response::NoContent();
  });

  auto settings = [](db::Transaction& tx) {
    BookingRepository repo;
    const auto r = repo.Reminders(tx);
    return json{{"slot_minutes", repo.SlotMinutes(tx)},
                {"reminder_minutes", r.lead_minutes},
                {"reminder_template",
                 r.template_name.empty()
                     ? json(nullptr)
                     : json{{"name", r.template_name}, {"language", r.template_language}}}};
  };
  api.Add("GET", "/api/booking/settings", api::Access::kTenant,
          [settings](api::Context& ctx) { return http::Response::Json(200, settings(ctx.tx)); });
  api.Add("PUT", "/api/booking/settings", api::Access::kOwner, [settings](api::Context& ctx) {
    const json body = ctx.request.Json();
    api::OnlyFields(body, {"slot_minutes", "reminder_minutes", "reminder_template"});
    BookingRepository repo;
    if (body.contains("slot_minutes")) {
      const auto m = Integer(body, "slot_minutes", 5, 60);
      if (60 % m != 0 || m == 45)
        throw errors::Error::InvalidArgument("slot_minutes must be 5, 10, 15, 20, 30 or 60",
                                             "slot_minutes");
      repo.SetSlotMinutes(ctx.tx, static_cast<int>(m));
    }
    auto r = repo.Reminders(ctx.tx);
    if (body.contains("reminder_minutes")) {
      const json& m = body["reminder_minutes"];
      if (!m.is_array() || m.size() > 5)
        throw errors::Error::InvalidArgument("reminder_minutes must be a list of at most 5",
                                             "reminder_minutes");
      r.lead_minutes.clear();
      for (const auto& v : m) {
        if (!v.is_number_integer() || v.get<int>() < 1 || v.get<int>() > 20160)
          throw errors::Error::InvalidArgument(
              "each reminder is 1 to 20160 minutes (two weeks) before the start",
              "reminder_minutes");
        r.lead_minutes.push_back(v.get<int>());
      }
    }
    if (body.contains("reminder_template")) {
      const json& t = body["reminder_template"];
      if (t.is_null()) {
        r.template_name.clear();
        r.template_language.clear();
      } else {
        if (!t.is_object())
          throw errors::Error::InvalidArgument("reminder_template is {name, language} or null",
                                               "reminder_template");
        r.template_name = api::RequiredString(t, "name", 512);
        r.template_language = api::RequiredString(t, "language", 15);
      }
    }
    repo.SetReminders(ctx.tx, r);
    return http::Response::Json(200, settings(ctx.tx));
  });
}

void AddBookingRoutes(api::Api& api, Bookings& bookings) {
  // Availability and bookings run their own transactions (Bookings), so a refused insert
  // can be followed by the alternatives' read.
  api.AddPooled("GET", "/api/booking/availability", api::Access::kTenant,
                [&bookings](api::PooledContext& ctx) {
                  const auto service = ctx.request.Query("service");
                  if (!service)
                    throw errors::Error::InvalidArgument("service is required", "service");
                  const auto service_id = QueryId(*service, "service");
                  const auto date_text = ctx.request.Query("date");
                  const auto day = date_text ? ParseDate(*date_text) : std::nullopt;
                  if (!day) throw errors::Error::InvalidArgument("date must be YYYY-MM-DD", "date");
                  std::optional<std::int64_t> specialist;
                  if (const auto s = ctx.request.Query("specialist"); s && !s->empty())
                    specialist = QueryId(*s, "specialist");
                  const auto slots =
                      bookings.Availability(ctx.tenant(), service_id, *day, specialist);
                  const std::string zone = bookings.Zone(ctx.tenant());
                  json out = json::array();
                  for (const auto& s : slots) out.push_back(bookings.SlotJson(s, zone));
                  return http::Response::Json(
                      200, {{"date", FormatDate(*day)}, {"timezone", zone}, {"slots", out}});
                });

  api.AddPooled(
      "POST", "/api/booking/bookings", api::Access::kTenant, [&bookings](api::PooledContext& ctx) {
        const json body = ctx.request.Json();
        api::OnlyFields(body, {"service_id", "specialist_id", "start", "client"});
        NewBooking b;
        b.service_id = Integer(body, "service_id", 1, INT64_MAX);
        b.specialist_id = Integer(body, "specialist_id", 1, INT64_MAX);
        const auto start = body.contains("start") && body["start"].is_string()
                               ? ParseTimestamp(body["start"].get<std::string>())
                               : std::nullopt;
        if (!start)
          throw errors::Error::InvalidArgument("start must be an RFC 3339 time with offset",
                                               "start");
        b.start = *start;
        const json client = body.value("client", json::object());
        if (!client.is_object())
          throw errors::Error::InvalidArgument("client must be an object", "client");
        api::OnlyFields(client, {"name", "phone"});
        b.client.name = api::RequiredString(client, "name", 200);
        b.client.phone = api::OptionalString(client, "phone", 50).value_or("");
        b.source = "staff";
        if (const auto key = ctx.request.Header("Idempotency-Key")) {
          if (key->empty() || key->size() > 255)
            throw errors::Error::InvalidArgument("Idempotency-Key must be 1..255 characters",
                                                 "Idempotency-Key");
          b.idempotency_key = *key;
        }
        const auto created = bookings.Create(ctx.tenant(), b);
        return http::Response::Json(created.replayed ? 200 : 201,
                                    bookings.ToJson(created.booking, bookings.Zone(ctx.tenant())));
      });

  api.AddPooled(
      "GET", "/api/booking/bookings", api::Access::kTenant, [&bookings](api::PooledContext& ctx) {
        const auto page = api::ReadPage(ctx.request.Query("limit"), ctx.request.Query("cursor"));
        const std::string zone = bookings.Zone(ctx.tenant());
        BookingFilter f;
        if (const auto d = ctx.request.Query("date")) {
          const auto day = ParseDate(*d);
          if (!day) throw errors::Error::InvalidArgument("date must be YYYY-MM-DD", "date");
          f.during = DayBounds(*day, zone);
        }
        if (const auto s = ctx.request.Query("specialist"))
          f.specialist_id = QueryId(*s, "specialist");
        if (const auto c = ctx.request.Query("client"); c && !c->empty()) f.client = c;
        if (const auto st = ctx.request.Query("status")) {
          if (*st != "confirmed" && *st != "cancelled" && *st != "completed" && *st != "no_show")
            throw errors::Error::InvalidArgument(
                "status must be confirmed, cancelled, completed or no_show", "status");
          f.status = st;
        }
        const auto rows = ctx.InTenant([&](db::Transaction& tx) {
          return BookingRepository().Bookings(tx, f, page.after, page.limit + 1);
        });
        return http::Response::Json(
            200, api::PageJson(
                     rows, page, [](const Booking& b) { return b.id; },
                     [&](const Booking& b) { return bookings.ToJson(b, zone); }));
      });

  api.AddPooled("GET", "/api/booking/bookings/{id}", api::Access::kTenant,
                [&bookings](api::PooledContext& ctx) {
                  const auto id = api::IdParam(ctx.request.Param("id"), "id");
                  const std::string zone = bookings.Zone(ctx.tenant());
                  return ctx.InTenant([&](db::Transaction& tx) {
                    BookingRepository repo;
                    const auto b = repo.FindBooking(tx, id);
                    if (!b) throw errors::Error::NotFound("no such booking", "id");
                    json out = bookings.ToJson(*b, zone);
                    out["history"] = repo.History(tx, id);
                    return http::Response::Json(200, out);
                  });
                });

  api.AddPooled("PUT", "/api/booking/bookings/{id}", api::Access::kTenant,
                [&bookings](api::PooledContext& ctx) {
                  const auto id = api::IdParam(ctx.request.Param("id"), "id");
                  const json body = ctx.request.Json();
                  api::OnlyFields(body, {"start", "specialist_id"});
                  std::optional<TimePoint> start;
                  if (body.contains("start")) {
                    start = body["start"].is_string()
                                ? ParseTimestamp(body["start"].get<std::string>())
                                : std::nullopt;
                    if (!start)
                      throw errors::Error::InvalidArgument(
                          "start must be an RFC 3339 time with offset", "start");
                  }
                  std::optional<std::int64_t> specialist;
                  if (body.contains("specialist_id"))
                    specialist = Integer(body, "specialist_id", 1, INT64_MAX);
                  const auto b = bookings.Move(ctx.tenant(), id, start, specialist);
                  return http::Response::Json(200, bookings.ToJson(b, bookings.Zone(ctx.tenant())));
                });

  api.AddPooled("DELETE", "/api/booking/bookings/{id}", api::Access::kTenant,
                [&bookings](api::PooledContext& ctx) {
                  const auto id = api::IdParam(ctx.request.Param("id"), "id");
                  const auto b = bookings.Cancel(ctx.tenant(), id);
                  return http::Response::Json(200, bookings.ToJson(b, bookings.Zone(ctx.tenant())));
                });

  for (const auto& [path, status] : std::vector<std::pair<std::string, std::string>>{
           {"complete", "completed"}, {"no-show", "no_show"}}) {
    api.AddPooled("POST", "/api/booking/bookings/{id}/" + path, api::Access::kTenant,
                  [&bookings, status = status](api::PooledContext& ctx) {
                    const auto id = api::IdParam(ctx.request.Param("id"), "id");
                    const auto b = bookings.Close(ctx.tenant(), id, status);
                    return http::Response::Json(200,
                                                bookings.ToJson(b, bookings.Zone(ctx.tenant())));
                  });
  }
}

}  // namespace

void AddRoutes(api::Api& api, Bookings& bookings) {
  AddCatalogRoutes(api);
  AddBookingRoutes(api, bookings);
}

}  // namespace sloth::booking
