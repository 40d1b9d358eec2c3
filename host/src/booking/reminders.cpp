#include "booking/reminders.hpp"

#include <charconv>
#include <map>

#include <spdlog/spdlog.h>

#include "booking/booking_repository.hpp"
#include "booking/bookings.hpp"
#include "booking/phrases.hpp"
#include "channels/channel_worker.hpp"
#include "conversations/conversation_repository.hpp"
#include "errors/error.hpp"
#include "integrations/integration_repository.hpp"

namespace sloth::booking {
namespace {

using json = nlohmann::json;

struct Words {
  const char* reminder;  // {service} {specialist} {date} {time}
  const char* confirm;   // the buttons: at most 20 characters (WhatsApp)
  const char* reschedule;
  const char* cancel;
  const char* confirmed;  // {date} {time}
  const char* cancelled;
  const char* already;  // the booking is no longer confirmed
  const char* which_time;
  const char* unknown;
};

const Words& WordsFor(const std::string& language) {
  static const std::map<std::string, Words> words = {
      {"en",
       {"Reminder: {service} with {specialist} on {date} at {time}. Will you come?", "Confirm",
        "Reschedule", "Cancel", "Thank you! See you on {date} at {time}.",
        "Cancelled. We hope to see you another time.", "This booking is no longer active.",
        "Which day and time would suit you better?", "I could not find that booking."}},
      {"uk",
       {"Нагадування: {service}, майстер {specialist}, {date} о {time}. Чи прийдете?",
        "Підтвердити", "Перенести", "Скасувати", "Дякуємо! Чекаємо вас {date} о {time}.",
        "Скасовано. Будемо раді бачити вас іншим разом.", "Цей запис уже не активний.",
        "На який день і час вам зручніше?", "Не вдалося знайти цей запис."}},
      {"ru",
       {"Напоминание: {service}, мастер {specialist}, {date} в {time}. Придёте?", "Подтвердить",
        "Перенести", "Отменить", "Спасибо! Ждём вас {date} в {time}.",
        "Отменено. Будем рады видеть вас в другой раз.", "Эта запись уже не активна.",
        "На какой день и время вам удобнее?", "Не удалось найти эту запись."}},
      {"pl",
       {"Przypomnienie: {service}, {specialist}, {date} o {time}. Czy przyjdziesz?", "Potwierdź",
        "Zmień termin", "Odwołaj", "Dziękujemy! Do zobaczenia {date} o {time}.",
        "Odwołano. Zapraszamy innym razem.", "Ta rezerwacja nie jest już aktywna.",
        "Jaki dzień i godzina będą lepsze?", "Nie znaleziono tej rezerwacji."}},
      {"de",
       {"Erinnerung: {service} bei {specialist} am {date} um {time}. Kommen Sie?", "Bestätigen",
        "Verschieben", "Absagen", "Danke! Bis {date} um {time}.",
        "Abgesagt. Wir freuen uns auf ein anderes Mal.", "Dieser Termin ist nicht mehr aktiv.",
        "Welcher Tag und welche Uhrzeit passen Ihnen besser?",
        "Diesen Termin habe ich nicht gefunden."}},
  };
  const auto it = words.find(language);
  return it == words.end() ? words.at("en") : it->second;
}

constexpr std::int64_t kWindowSeconds = 24 * 3600 - 300;  // WhatsApp's, less a margin

}  // namespace

void Reminders::Schedule(db::Transaction& tx, std::int64_t tenant, const Booking& b) {
  if (b.status != "confirmed" || b.client.channel.empty() || !b.conversation_id) return;
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  for (const int lead : BookingRepository().Reminders(tx).lead_minutes) {
    const auto due = b.start - std::chrono::minutes(lead);
    if (due <= now) continue;  // booked closer than that: that reminder has no point
    jobs::EnqueueOptions o;
    o.tenant_id = tenant;
    o.delay = std::chrono::duration_cast<std::chrono::milliseconds>(due - now);
    o.unique_key = "booking.remind:" + std::to_string(tenant) + ":" + std::to_string(b.id) + ":" +
                   std::to_string(b.version) + ":" + std::to_string(lead);
    jobs::Enqueue(tx, "booking.remind",
                  {{"booking_id", b.id}, {"version", b.version}, {"lead_minutes", lead}}, o);
  }
}

void Reminders::Register(jobs::WorkerPool& jobs) {
  jobs.Register("booking.remind", [this](jobs::JobContext& ctx) { Remind(ctx); });
  jobs.RegisterStaged(kReplyJob, [this](jobs::StagedJobContext& ctx) { Reply(ctx); });
}

void Reminders::Remind(jobs::JobContext& ctx) {
  if (!ctx.job.tenant_id) return;
  const std::int64_t tenant = *ctx.job.tenant_id;
  auto& tx = ctx.tx;
  const auto& p = ctx.job.payload;
  const std::int64_t id = p.value("booking_id", std::int64_t{0});
  const int version = p.value("version", 0);
  const int lead = p.value("lead_minutes", 0);
  BookingRepository repo;
  const auto b = repo.FindBooking(tx, id, /*lock=*/true);
  // Cancelled, closed or moved since (a move queued the new version's reminders).
  if (!b || b->status != "confirmed" || b->version != version || !b->conversation_id) return;
  conversations::ConversationRepository conversations;
  const auto conv = conversations.Find(tx, *b->conversation_id);
  if (!conv || !conv->integration_id) return;
  const auto integration = integrations::IntegrationRepository().Find(tx, *conv->integration_id);
  if (!integration || integration->status != "active") return;

  const std::string language = conversations.LastLanguage(tx, conv->id).value_or("en");
  const Words& w = WordsFor(language);
  const auto service = repo.FindService(tx, b->service_id);
  const auto specialist = repo.FindSpecialist(tx, b->specialist_id);
  const std::string when = FormatTimestamp(b->start, OrganisationZone(tx, tenant));
  const std::map<std::string, std::string> values = {
      {"service", service ? service->name : ""},
      {"specialist", specialist ? specialist->name : ""},
      {"date", when.substr(0, 10)},
      {"time", when.substr(11, 5)}};
  const std::string data = kCallbackPrefix + std::to_string(id) + ":";
  json payload = {
      {"keyboard",
       json::array({json::array({{{"text", w.confirm}, {"data", data + "confirm"}},
                                 {{"text", w.reschedule}, {"data", data + "reschedule"}},
                                 {{"text", w.cancel}, {"data", data + "cancel"}}})})}};
  std::string via = "message";
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  if (integration->plugin_id == "whatsapp" &&
      std::chrono::duration_cast<std::chrono::seconds>(now).count() -
              conversations.LastInboundAt(tx, conv->id) >
          kWindowSeconds) {
    const auto settings = repo.Reminders(tx);
    if (settings.template_name.empty()) {
      spdlog::info(
          "booking: tenant {} booking {}: the client is outside WhatsApp's 24-hour window and "
          "no reminder template is configured; reminder not sent",
          tenant, id);
      return;
    }
    payload = {
        {"template",
         {{"name", settings.template_name},
          {"language", settings.template_language},
          {"parameters",
           {values.at("service"), values.at("specialist"), values.at("date"), values.at("time")}},
          {"buttons", {data + "confirm", data + "reschedule", data + "cancel"}}}}};
    via = "template";
  }
  if (!repo.ClaimReminder(tx, id, version, lead, via)) return;  // sent by an earlier run
  conversations::NewOutbound m;
  m.text = Fill(w.reminder, values);
  m.author = "system";
  m.payload = payload;
  m.language = language;
  m.intent = "reminder";
  if (const auto message = conversations.AddOutbound(tx, conv->id, m))
    channels::EnqueueSend(tx, tenant, *message);
  repo.AddHistory(tx, id, "reminder_sent", {{"lead_minutes", lead}, {"via", via}});
}

void Reminders::Reply(jobs::StagedJobContext& ctx) {
  if (!ctx.job.tenant_id) return;
  const std::int64_t tenant = *ctx.job.tenant_id;
  const auto& p = ctx.job.payload;
  const std::int64_t conversation = p.value("conversation_id", std::int64_t{0});
  const std::int64_t answered = p.value("message_id", std::int64_t{0});
  const std::string data = p.value("data", "");
  // bk:<id>:<action>
  const auto colon = data.find(':', 3);
  std::int64_t id = 0;
  const std::string action = colon == std::string::npos ? "" : data.substr(colon + 1);
  if (colon != std::string::npos) std::from_chars(data.data() + 3, data.data() + colon, id);
  struct Seen {
    std::optional<conversations::ConversationSummary> conv;
    std::string language, zone;
  };
  const Seen seen = ctx.Read([&](db::Transaction& tx) {
    conversations::ConversationRepository c;
    return Seen{c.Find(tx, conversation), c.LastLanguage(tx, conversation).value_or("en"),
                OrganisationZone(tx, tenant)};
  });
  if (!seen.conv || !seen.conv->external_chat_id) return;
  const Words& w = WordsFor(seen.language);
  const Owner owner{seen.conv->source, *seen.conv->external_chat_id};
  std::string reply;
  try {
    if (id <= 0) {
      reply = w.unknown;
    } else if (action == "confirm") {
      const auto b = bookings_.Confirm(tenant, id, owner);
      const std::string when = FormatTimestamp(b.start, seen.zone);
      reply = Fill(w.confirmed, {{"date", when.substr(0, 10)}, {"time", when.substr(11, 5)}});
    } else if (action == "cancel") {
      bookings_.Cancel(tenant, id, owner);
      reply = w.cancelled;
    } else if (action == "reschedule") {
      reply = w.which_time;
    } else {
      reply = w.unknown;
    }
  } catch (const errors::Error& e) {
    // Tapped again after the booking was cancelled (or by someone else's chat).
    reply = e.code() == errors::Code::kConflict ? w.already : w.unknown;
  }
  ctx.Finish([&](db::Transaction& tx) {
    conversations::ConversationRepository c;
    if (c.Answered(tx, answered)) return;  // a repeat of this job
    conversations::NewOutbound m;
    m.text = reply;
    m.author = "system";
    m.reply_to = answered;
    m.language = seen.language;
    m.intent = "booking_" + (action.empty() ? std::string("unknown") : action);
    if (const auto message = c.AddOutbound(tx, conversation, m))
      channels::EnqueueSend(tx, tenant, *message);
  });
}

}  // namespace sloth::booking
