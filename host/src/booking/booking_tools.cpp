#include "booking/booking_tools.hpp"

#include <algorithm>
#include <map>

#include "booking/phrases.hpp"
#include "errors/error.hpp"
#include "sloth_text/words.hpp"

namespace sloth::booking {
namespace {

using json = nlohmann::json;

// What the tools say to the client, in the router's five languages.
struct Words {
  const char* which_service;  // {list}
  const char* free_times;     // {service} {date} {list}
  const char* none_free;      // {service} {date}
  const char* confirm_book;   // {service} {specialist} {date} {time}
  const char* booked;         // {service} {specialist} {date} {time}
  const char* taken;          // {list}
  const char* no_booking;
  const char* which_time;
  const char* confirm_move;    // {service} {date} {time}
  const char* moved;           // {service} {date} {time}
  const char* confirm_cancel;  // {service} {date} {time}
  const char* cancelled;       // {service} {date} {time}
  const char* yours;           // {list}
  const char* not_set_up;      // the salon has no services to book yet
};

const Words& WordsFor(const std::string& language) {
  static const std::map<std::string, Words> words = {
      {"en",
       {"Which service would you like? We offer: {list}.",
        "Free times for {service} on {date}: {list}. Which suits you?",
        "There are no free times for {service} on {date}. Shall I look at another day?",
        "Shall I book {service} with {specialist} on {date} at {time}? Please answer yes or no.",
        "Booked: {service} with {specialist} on {date} at {time}. See you then!",
        "Sorry, that time is already taken. The nearest free times: {list}.",
        "I could not find an upcoming booking of yours.", "To which day and time?",
        "Shall I move your {service} to {date} at {time}? Please answer yes or no.",
        "Done: your {service} is now on {date} at {time}.",
        "Shall I cancel your {service} on {date} at {time}? Please answer yes or no.",
        "Cancelled: {service} on {date} at {time}.", "Your bookings: {list}.",
        "Online booking is not set up for this salon yet. Would you like a member of the team to "
        "contact you to book?"}},
      {"uk",
       {"Яка послуга вас цікавить? У нас є: {list}.",
        "Вільний час на {service} {date}: {list}. Який вам зручний?",
        "На {date} немає вільного часу на {service}. Подивитися інший день?",
        "Записати вас на {service} до {specialist} {date} о {time}? Відповідайте «так» або «ні».",
        "Записано: {service}, {specialist}, {date} о {time}. Чекаємо на вас!",
        "На жаль, цей час уже зайнятий. Найближчий вільний: {list}.",
        "Я не знайшов вашого майбутнього запису.", "На який день і час перенести?",
        "Перенести {service} на {date} о {time}? Відповідайте «так» або «ні».",
        "Готово: {service} тепер {date} о {time}.",
        "Скасувати {service} {date} о {time}? Відповідайте «так» або «ні».",
        "Скасовано: {service} {date} о {time}.", "Ваші записи: {list}.",
        "Онлайн-запис у цьому салоні ще не налаштовано. Передати ваш запит адміністратору?"}},
      {"ru",
       {"Какая услуга вас интересует? У нас есть: {list}.",
        "Свободное время на {service} {date}: {list}. Какое вам удобно?",
        "На {date} нет свободного времени на {service}. Посмотреть другой день?",
        "Записать вас на {service} к {specialist} {date} в {time}? Ответьте «да» или «нет».",
        "Записано: {service}, {specialist}, {date} в {time}. Ждём вас!",
        "К сожалению, это время уже занято. Ближайшее свободное: {list}.",
        "Я не нашёл вашей предстоящей записи.", "На какой день и время перенести?",
        "Перенести {service} на {date} в {time}? Ответьте «да» или «нет».",
        "Готово: {service} теперь {date} в {time}.",
        "Отменить {service} {date} в {time}? Ответьте «да» или «нет».",
        "Отменено: {service} {date} в {time}.", "Ваши записи: {list}.",
        "Онлайн-запись в этом салоне ещё не настроена. Передать ваш запрос администратору?"}},
      {"pl",
       {"Jaka usługa Cię interesuje? Oferujemy: {list}.",
        "Wolne terminy na {service} {date}: {list}. Który pasuje?",
        "{date} nie ma wolnych terminów na {service}. Sprawdzić inny dzień?",
        "Zarezerwować {service} u {specialist} {date} o {time}? Odpowiedz tak lub nie.",
        "Zarezerwowano: {service}, {specialist}, {date} o {time}. Do zobaczenia!",
        "Niestety ten termin jest już zajęty. Najbliższe wolne: {list}.",
        "Nie znalazłem Twojej nadchodzącej wizyty.", "Na jaki dzień i godzinę?",
        "Przenieść {service} na {date} o {time}? Odpowiedz tak lub nie.",
        "Gotowe: {service} jest teraz {date} o {time}.",
        "Odwołać {service} {date} o {time}? Odpowiedz tak lub nie.",
        "Odwołano: {service} {date} o {time}.", "Twoje wizyty: {list}.",
        "Rezerwacja online nie jest jeszcze dostępna w tym salonie. Przekazać prośbę zespołowi?"}},
      {"de",
       {"Welche Behandlung möchten Sie? Wir bieten: {list}.",
        "Freie Termine für {service} am {date}: {list}. Welcher passt Ihnen?",
        "Am {date} gibt es keine freien Termine für {service}. Soll ich einen anderen Tag suchen?",
        "Soll ich {service} bei {specialist} am {date} um {time} buchen? Bitte antworten Sie "
        "mit ja oder nein.",
        "Gebucht: {service} bei {specialist} am {date} um {time}. Bis dann!",
        "Leider ist dieser Termin schon vergeben. Die nächsten freien: {list}.",
        "Ich habe keinen kommenden Termin von Ihnen gefunden.",
        "Auf welchen Tag und welche Uhrzeit?",
        "Soll ich {service} auf {date} um {time} verschieben? Bitte antworten Sie mit ja oder "
        "nein.",
        "Erledigt: {service} ist jetzt am {date} um {time}.",
        "Soll ich {service} am {date} um {time} absagen? Bitte antworten Sie mit ja oder nein.",
        "Abgesagt: {service} am {date} um {time}.", "Ihre Termine: {list}.",
        "Online-Buchung ist für diesen Salon noch nicht eingerichtet. Soll sich das Team bei Ihnen "
        "melden?"}},
  };
  const auto it = words.find(language);
  return it == words.end() ? words.at("en") : it->second;
}

std::string Str(const json& args, const char* key) {
  return args.contains(key) && args[key].is_string() ? args[key].get<std::string>() : "";
}

// How many of `name`'s words appear (inflected) in `text`.
int Mentions(const std::string& text, const std::string& name) {
  const auto words = text::Words(text);
  int n = 0;
  for (const auto& w : text::Words(name)) {
    if (std::any_of(words.begin(), words.end(),
                    [&](const std::string& t) { return text::SameStem(w, t); }))
      ++n;
  }
  return n;
}

struct Catalog {
  std::vector<Service> services;
  std::map<std::int64_t, std::string> specialists;  // active ones
  std::string zone;
};

Catalog ReadCatalog(Bookings& bookings, const agent::ToolContext& ctx) {
  Catalog c;
  c.zone = bookings.Zone(ctx.tenant);
  ctx.pool->InTenant(db::TenantId{ctx.tenant}, [&](db::Transaction& tx) {
    BookingRepository repo;
    c.services = repo.Services(tx, 0, 200, /*active_only=*/true);
    for (const auto& s : repo.Specialists(tx, 0, 500))
      if (s.active) c.specialists[s.id] = s.name;
  });
  return c;
}

const Service* FindServiceIn(const Catalog& c, const json& args) {
  const std::string named = Str(args, "service");
  const std::string text = named.empty() ? Str(args, "text") : named;
  const Service* best = nullptr;
  int best_n = 0;
  for (const auto& s : c.services) {
    if (!named.empty() && (named == std::to_string(s.id) || named == s.name)) return &s;
    const int n = Mentions(text, s.name);
    if (n > best_n) {
      best = &s;
      best_n = n;
    }
  }
  return best;
}

std::optional<std::int64_t> FindSpecialistIn(const Catalog& c, const Service& s, const json& args) {
  const std::string named = Str(args, "specialist");
  const std::string text = named.empty() ? Str(args, "text") : named;
  for (const auto id : s.specialist_ids) {
    const auto it = c.specialists.find(id);
    if (it != c.specialists.end() && Mentions(text, it->second) > 0) return id;
  }
  return std::nullopt;
}

std::string SpecialistName(const Catalog& c, std::int64_t id) {
  const auto it = c.specialists.find(id);
  return it == c.specialists.end() ? "#" + std::to_string(id) : it->second;
}

const Service* ServiceById(const Catalog& c, std::int64_t id) {
  for (const auto& s : c.services)
    if (s.id == id) return &s;
  return nullptr;
}

std::string LocalDay(TimePoint t, const std::string& zone) {
  return FormatDate(LocalDate(t, zone));
}
std::string LocalTime(TimePoint t, const std::string& zone) {
  return FormatTimestamp(t, zone).substr(11, 5);
}

std::string SlotList(const std::vector<Slot>& slots, const Catalog& c, bool with_day) {
  std::string out;
  for (const auto& s : slots) {
    if (!out.empty()) out += ", ";
    if (with_day) out += LocalDay(s.start, c.zone) + " ";
    out += LocalTime(s.start, c.zone) + " (" + SpecialistName(c, s.specialist_id) + ")";
  }
  return out;
}

date::year_month_day DayOf(const json& args, const Catalog& c) {
  if (const auto d = ParseDate(Str(args, "date"))) return *d;
  return LocalDate(
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now()), c.zone);
}

json ServicesJson(const Catalog& c) {
  json out = json::array();
  for (const auto& s : c.services) {
    json names = json::array();
    for (const auto id : s.specialist_ids)
      if (c.specialists.count(id)) names.push_back(c.specialists.at(id));
    out.push_back({{"id", s.id},
                   {"name", s.name},
                   {"duration_slots", s.duration_slots},
                   {"price", s.price},
                   {"currency", s.currency},
                   {"specialists", names}});
  }
  return out;
}

std::string ServiceList(const Catalog& c) {
  std::string out;
  for (const auto& s : c.services) {
    if (!out.empty()) out += ", ";
    out += s.name;
    if (s.price > 0) out += " (" + std::to_string(s.price / 100) + " " + s.currency + ")";
  }
  return out;
}

// The client's next live booking (or the one named).
std::optional<Booking> OwnBooking(const agent::ToolContext& ctx, const json& args) {
  return ctx.pool->InTenant(
      db::TenantId{ctx.tenant}, [&](db::Transaction& tx) -> std::optional<Booking> {
        BookingFilter f;
        f.owner = std::make_pair(ctx.channel, ctx.external_id);
        f.status = "confirmed";
        f.upcoming_from_now = true;
        auto rows = BookingRepository().Bookings(tx, f, 0, 50);
        std::sort(rows.begin(), rows.end(),
                  [](const Booking& a, const Booking& b) { return a.start < b.start; });
        if (args.contains("booking_id") && args["booking_id"].is_number_integer()) {
          for (const auto& b : rows)
            if (b.id == args["booking_id"].get<std::int64_t>()) return b;
          return std::nullopt;
        }
        if (rows.empty()) return std::nullopt;
        return rows.front();
      });
}

// The start a move or find asks for: `start` (RFC 3339), else `date` (default: `fallback`'s
// day) and `time`.
std::optional<TimePoint> WantedStart(const json& args, const Catalog& c,
                                     std::optional<TimePoint> fallback) {
  if (const auto s = ParseTimestamp(Str(args, "start"))) return s;
  const auto clock = ParseClock(Str(args, "time"));
  if (!clock) return std::nullopt;
  date::year_month_day day = fallback ? LocalDate(*fallback, c.zone) : DayOf(args, c);
  if (const auto d = ParseDate(Str(args, "date"))) day = *d;
  const auto bounds = DayBounds(day, c.zone);
  // The local clock time on that day: midnight plus the minutes, corrected for a change of
  // offset within the day by reading the offset at that instant.
  TimePoint guess = bounds.from + std::chrono::minutes(*clock);
  const auto shown = ParseClock(LocalTime(guess, c.zone));
  if (shown && *shown != *clock) guess += std::chrono::minutes(*clock - *shown);
  return guess;
}

const json kFindParams = {
    {"type", "object"},
    {"properties",
     {{"service", {{"type", "string"}, {"description", "the service's name or id"}}},
      {"specialist", {{"type", "string"}, {"description", "the specialist's name, if asked for"}}},
      {"date", {{"type", "string"}, {"description", "YYYY-MM-DD in the salon's time zone"}}},
      {"time", {{"type", "string"}, {"description", "HH:MM when the client named a time"}}},
      {"text", {{"type", "string"}, {"description", "the client's request as written"}}}}}};

}  // namespace

void RegisterTools(agent::ToolRegistry& tools, Bookings& bookings) {
  tools.Register({"list_services",
                  "The salon's services with duration, price and who provides them.",
                  {{"type", "object"}, {"properties", json::object()}},
                  [&bookings](const agent::ToolContext& ctx, const json&) {
                    const auto c = ReadCatalog(bookings, ctx);
                    return json{{"services", ServicesJson(c)},
                                {"reply", Fill(WordsFor(ctx.language).which_service,
                                               {{"list", ServiceList(c)}})}};
                  }});

  tools.Register(
      {"find_slots",
       "Free times for a service on a day; with a time named, proposes that booking for the "
       "client to confirm.",
       kFindParams, [&bookings](const agent::ToolContext& ctx, const json& args) {
         const auto& w = WordsFor(ctx.language);
         const auto c = ReadCatalog(bookings, ctx);
         if (c.services.empty()) return json{{"reply", w.not_set_up}};
         const Service* service = FindServiceIn(c, args);
         if (!service)
           return json{{"services", ServicesJson(c)},
                       {"reply", Fill(w.which_service, {{"list", ServiceList(c)}})}};
         const auto specialist = FindSpecialistIn(c, *service, args);
         const auto day = DayOf(args, c);
         const auto slots = bookings.Availability(ctx.tenant, service->id, day, specialist);
         const std::string date = FormatDate(day);
         json found = json::array();
         for (const auto& s : slots) found.push_back(bookings.SlotJson(s, c.zone));
         if (const auto wanted = WantedStart(args, c, std::nullopt)) {
           for (const auto& s : slots) {
             if (s.start != *wanted) continue;
             const std::string when = LocalTime(s.start, c.zone);
             return json{
                 {"slot", bookings.SlotJson(s, c.zone)},
                 {"reply", Fill(w.confirm_book, {{"service", service->name},
                                                 {"specialist", SpecialistName(c, s.specialist_id)},
                                                 {"date", date},
                                                 {"time", when}})},
                 {"confirm",
                  {{"tool", "book"},
                   {"arguments",
                    {{"service_id", service->id},
                     {"specialist_id", s.specialist_id},
                     {"start", FormatTimestamp(s.start, c.zone)}}}}}};
           }
           const auto near = bookings.Alternatives(ctx.tenant, service->id, *wanted, specialist);
           return json{{"slots", found},
                       {"reply", Fill(w.taken, {{"list", SlotList(near, c, true)}})}};
         }
         if (slots.empty())
           return json{{"slots", found},
                       {"reply", Fill(w.none_free, {{"service", service->name}, {"date", date}})}};
         std::vector<Slot> shown(slots.begin(),
                                 slots.begin() + std::min<std::size_t>(6, slots.size()));
         return json{{"slots", found},
                     {"reply", Fill(w.free_times, {{"service", service->name},
                                                   {"date", date},
                                                   {"list", SlotList(shown, c, false)}})}};
       }});

  tools.Register(
      {"book",
       "Books a time found by find_slots. Without confirmed: true it only asks the client to "
       "confirm.",
       {{"type", "object"},
        {"properties",
         {{"service_id", {{"type", "integer"}}},
          {"specialist_id", {{"type", "integer"}}},
          {"start", {{"type", "string"}, {"description", "RFC 3339, as find_slots gave it"}}},
          {"confirmed", {{"type", "boolean"}, {"default", false}}}}},
        {"required", {"service_id", "specialist_id", "start"}}},
       [&bookings](const agent::ToolContext& ctx, const json& args) {
         const auto& w = WordsFor(ctx.language);
         const auto c = ReadCatalog(bookings, ctx);
         const Service* service = ServiceById(c, args["service_id"].get<std::int64_t>());
         const auto start = ParseTimestamp(Str(args, "start"));
         if (!service || !start)
           throw errors::Error::InvalidArgument("unknown service or malformed start", "start");
         const std::int64_t specialist = args["specialist_id"].get<std::int64_t>();
         const std::map<std::string, std::string> values = {
             {"service", service->name},
             {"specialist", SpecialistName(c, specialist)},
             {"date", LocalDay(*start, c.zone)},
             {"time", LocalTime(*start, c.zone)}};
         if (!args.value("confirmed", false) || ctx.dry_run) {
           json a = args;
           a.erase("confirmed");
           return json{{"reply", Fill(w.confirm_book, values)},
                       {"confirm", {{"tool", "book"}, {"arguments", a}}}};
         }
         NewBooking b;
         b.service_id = service->id;
         b.specialist_id = specialist;
         b.start = *start;
         b.client = {ctx.client_name, "", ctx.channel, ctx.external_id};
         b.source = "agent";
         if (ctx.conversation_id) {
           b.conversation_id = ctx.conversation_id;
           // A repeated answer of the same conversation books once.
           b.idempotency_key = "conversation:" + std::to_string(ctx.conversation_id) + ":" +
                               std::to_string(specialist) + ":" + Str(args, "start");
         }
         try {
           const auto created = bookings.Create(ctx.tenant, b);
           return json{{"booking", bookings.ToJson(created.booking, c.zone)},
                       {"reply", Fill(w.booked, values)}};
         } catch (const errors::Error& e) {
           if (e.code() != errors::Code::kConflict) throw;
           const auto near = bookings.Alternatives(ctx.tenant, service->id, *start, specialist);
           return json{{"alternatives", e.details().value("alternatives", json::array())},
                       {"reply", Fill(w.taken, {{"list", SlotList(near, c, true)}})}};
         }
       }});

  tools.Register(
      {"move",
       "Moves the client's upcoming booking (or booking_id) to a new date/time. Without "
       "confirmed: true it only asks the client to confirm.",
       {{"type", "object"},
        {"properties",
         {{"booking_id", {{"type", "integer"}}},
          {"date", {{"type", "string"}, {"description", "YYYY-MM-DD; default: the booking's day"}}},
          {"time", {{"type", "string"}, {"description", "HH:MM"}}},
          {"start", {{"type", "string"}, {"description", "RFC 3339 instead of date and time"}}},
          {"text", {{"type", "string"}}},
          {"confirmed", {{"type", "boolean"}, {"default", false}}}}}},
       [&bookings](const agent::ToolContext& ctx, const json& args) {
         const auto& w = WordsFor(ctx.language);
         const auto c = ReadCatalog(bookings, ctx);
         const auto own = OwnBooking(ctx, args);
         if (!own) return json{{"reply", w.no_booking}};
         const auto start = WantedStart(args, c, own->start);
         if (!start) return json{{"reply", w.which_time}};
         const Service* service = ServiceById(c, own->service_id);
         const std::map<std::string, std::string> values = {
             {"service", service ? service->name : "#" + std::to_string(own->service_id)},
             {"date", LocalDay(*start, c.zone)},
             {"time", LocalTime(*start, c.zone)}};
         if (!args.value("confirmed", false) || ctx.dry_run) {
           return json{{"reply", Fill(w.confirm_move, values)},
                       {"confirm",
                        {{"tool", "move"},
                         {"arguments",
                          {{"booking_id", own->id}, {"start", FormatTimestamp(*start, c.zone)}}}}}};
         }
         try {
           const auto moved = bookings.Move(ctx.tenant, own->id, *start, std::nullopt,
                                            Owner{ctx.channel, ctx.external_id});
           return json{{"booking", bookings.ToJson(moved, c.zone)},
                       {"reply", Fill(w.moved, values)}};
         } catch (const errors::Error& e) {
           if (e.code() != errors::Code::kConflict && e.code() != errors::Code::kInvalidArgument)
             throw;
           const auto near =
               bookings.Alternatives(ctx.tenant, own->service_id, *start, own->specialist_id);
           return json{{"reply", Fill(w.taken, {{"list", SlotList(near, c, true)}})}};
         }
       }});

  tools.Register(
      {"cancel",
       "Cancels the client's upcoming booking (or booking_id). Without confirmed: true it only "
       "asks the client to confirm.",
       {{"type", "object"},
        {"properties",
         {{"booking_id", {{"type", "integer"}}},
          {"confirmed", {{"type", "boolean"}, {"default", false}}}}}},
       [&bookings](const agent::ToolContext& ctx, const json& args) {
         const auto& w = WordsFor(ctx.language);
         const auto c = ReadCatalog(bookings, ctx);
         const auto own = OwnBooking(ctx, args);
         if (!own) return json{{"reply", w.no_booking}};
         const Service* service = ServiceById(c, own->service_id);
         const std::map<std::string, std::string> values = {
             {"service", service ? service->name : "#" + std::to_string(own->service_id)},
             {"date", LocalDay(own->start, c.zone)},
             {"time", LocalTime(own->start, c.zone)}};
         if (!args.value("confirmed", false) || ctx.dry_run) {
           return json{{"reply", Fill(w.confirm_cancel, values)},
                       {"confirm", {{"tool", "cancel"}, {"arguments", {{"booking_id", own->id}}}}}};
         }
         const auto b = bookings.Cancel(ctx.tenant, own->id, Owner{ctx.channel, ctx.external_id});
         return json{{"booking", bookings.ToJson(b, c.zone)}, {"reply", Fill(w.cancelled, values)}};
       }});

  tools.Register({"my_bookings",
                  "The client's own upcoming bookings.",
                  {{"type", "object"}, {"properties", json::object()}},
                  [&bookings](const agent::ToolContext& ctx, const json&) {
                    const auto& w = WordsFor(ctx.language);
                    const auto c = ReadCatalog(bookings, ctx);
                    const auto rows =
                        ctx.pool->InTenant(db::TenantId{ctx.tenant}, [&](db::Transaction& tx) {
                          BookingFilter f;
                          f.owner = std::make_pair(ctx.channel, ctx.external_id);
                          f.status = "confirmed";
                          f.upcoming_from_now = true;
                          return BookingRepository().Bookings(tx, f, 0, 20);
                        });
                    if (rows.empty())
                      return json{{"bookings", json::array()}, {"reply", w.no_booking}};
                    json list = json::array();
                    std::string text;
                    for (const auto& b : rows) {
                      list.push_back(bookings.ToJson(b, c.zone));
                      const Service* s = ServiceById(c, b.service_id);
                      if (!text.empty()) text += "; ";
                      text += (s ? s->name : "#" + std::to_string(b.service_id)) + " " +
                              LocalDay(b.start, c.zone) + " " + LocalTime(b.start, c.zone);
                    }
                    return json{{"bookings", list}, {"reply", Fill(w.yours, {{"list", text}})}};
                  }});
}

}  // namespace sloth::booking
