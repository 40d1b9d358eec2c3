#include "extractive_model.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "sloth_text/words.hpp"

namespace local_llm {
namespace {

using json = nlohmann::json;
using sloth::text::Words;

struct Phrases {
  const char* greeting;  // {salon}
  const char* no_answer;
  const char* booking;
  const char* human;
  const char* ack;
  const char* lead;  // before a quote in another script than the client's
  const char* source;
  const char* tool_failed;
};

const Phrases& PhrasesFor(const std::string& language) {
  static const std::map<std::string, Phrases> phrases = {
      {"en",
       {"Hello! This is {salon}. How can I help you?",
        "I could not find that in the salon's information. Would you like me to pass your "
        "question to a member of the team?",
        "I'd be glad to help you book. Which service would you like, and which day and time "
        "suit you?",
        "Of course — I have passed the conversation to the team; a person will reply to you here.",
        "Thank you! Is there anything else I can help you with?",
        "The salon's information says:", "Source", "Sorry, that did not work:"}},
      {"uk",
       {"Вітаємо! Це {salon}. Чим можу допомогти?",
        "Я не знайшов цього в інформації салону. Передати ваше питання адміністратору?",
        "Із задоволенням допоможу записатися. Яка послуга вас цікавить і який день та час вам "
        "зручні?",
        "Звісно — я передав розмову команді салону, вам відповість адміністратор.",
        "Дякую! Чим ще можу допомогти?", "В інформації салону зазначено:", "Джерело",
        "На жаль, не вдалося:"}},
      {"ru",
       {"Здравствуйте! Это {salon}. Чем могу помочь?",
        "Я не нашёл этого в информации салона. Передать ваш вопрос администратору?",
        "С удовольствием помогу записаться. Какая услуга вас интересует и какой день и время "
        "вам удобны?",
        "Конечно — я передал разговор команде салона, вам ответит администратор.",
        "Спасибо! Чем ещё могу помочь?", "В информации салона указано:", "Источник",
        "К сожалению, не получилось:"}},
      {"pl",
       {"Dzień dobry! Tu {salon}. W czym mogę pomóc?",
        "Nie znalazłem tego w informacjach salonu. Czy przekazać pytanie komuś z zespołu?",
        "Chętnie pomogę się umówić. Jaka usługa Cię interesuje i jaki dzień oraz godzina "
        "pasują?",
        "Oczywiście — przekazałem rozmowę zespołowi, odpowie Ci pracownik salonu.",
        "Dziękuję! W czym jeszcze mogę pomóc?", "Według informacji salonu:", "Źródło",
        "Niestety się nie udało:"}},
      {"de",
       {"Hallo! Hier ist {salon}. Wie kann ich helfen?",
        "Das habe ich in den Informationen des Salons nicht gefunden. Soll ich Ihre Frage an "
        "das Team weitergeben?",
        "Gern helfe ich bei der Buchung. Welche Behandlung möchten Sie, und welcher Tag und "
        "welche Uhrzeit passen Ihnen?",
        "Natürlich — ich habe das Gespräch an das Team weitergegeben; eine Person antwortet "
        "Ihnen hier.",
        "Danke! Kann ich sonst noch helfen?", "Laut den Informationen des Salons:", "Quelle",
        "Leider hat das nicht geklappt:"}},
  };
  const auto it = phrases.find(language);
  return it == phrases.end() ? phrases.at("en") : it->second;
}

bool IsCyrillicLanguage(const std::string& language) {
  return language == "uk" || language == "ru";
}

// Words that carry no subject in a question, in the five languages.
const std::set<std::string>& StopWords() {
  static const std::set<std::string> words = {
      // en
      "a", "an", "the", "is", "are", "do", "does", "did", "you", "your", "i", "me", "my", "we",
      "it", "of", "for", "to", "in", "on", "at", "and", "or", "can", "could", "what", "which",
      "how", "much", "many", "when", "where", "who", "there", "any", "have", "has", "with", "be",
      "will", "would", "please", "hi", "hello", "about", "this", "that", "tell", "know", "want",
      "like", "get", "need", "if", "so", "than", "from", "by", "as", "also", "should", "long",
      // uk
      "і", "й", "та", "в", "у", "на", "з", "із", "до", "для", "що", "як", "чи", "я", "мені", "ви",
      "вас", "вам", "ваш", "у вас", "скільки", "це", "а", "але", "можна", "є", "який", "яка", "яке",
      "які", "коли", "де", "хочу", "будь", "ласка", "привіт", "мене", "про",
      // ru
      "и", "с", "со", "к", "что", "как", "ли", "мне", "вы", "у", "сколько", "это", "но", "можно",
      "есть", "какой", "какая", "какие", "когда", "где", "хочу", "пожалуйста", "меня", "о",
      // pl
      "w", "z", "na", "do", "i", "czy", "jak", "ile", "co", "mi", "pan", "pani", "jest", "są", "to",
      "się", "dla", "mogę", "można", "proszę", "kiedy", "gdzie",
      // de
      "der", "die", "das", "ein", "eine", "ist", "sind", "und", "oder", "wie", "viel", "was", "ich",
      "sie", "bei", "für", "mit", "zu", "im", "am", "es", "kann", "ihr", "ihre", "gibt", "wann",
      "wo", "bitte"};
  return words;
}

const std::set<std::string>& PriceWords() {
  static const std::set<std::string> words = {
      "price",    "prices",   "cost",    "costs", "charge", "much",      "fee",   "ціна",    "ціни",
      "вартість", "коштує",   "скільки", "цена",  "цены",   "стоимость", "стоит", "сколько", "ile",
      "cena",     "kosztuje", "koszt",   "preis", "kostet", "kosten",    "viel"};
  return words;
}

struct Candidate {
  std::string text;     // as quoted
  std::string heading;  // the section it is under, for matching only
  std::string title;
  int page = 0;
  std::size_t rank = 0;  // the chunk's rank in the retrieval
  std::vector<std::string> words, heading_words;
};

std::string Trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t\r");
  return std::string(s.substr(b, e - b + 1));
}

// A table row "| a | b |" read as "a — b"; a list bullet dropped.
std::string Readable(std::string line) {
  if (!line.empty() && line.front() == '|') {
    std::string out;
    std::size_t start = 1;
    for (std::size_t i = 1; i <= line.size(); ++i) {
      if (i == line.size() || line[i] == '|') {
        const std::string cell = Trim(std::string_view(line).substr(start, i - start));
        if (!cell.empty() && cell.find_first_not_of("-: ") != std::string::npos)
          out += (out.empty() ? "" : " — ") + cell;
        start = i + 1;
      }
    }
    return out;
  }
  if (line.rfind("- ", 0) == 0 || line.rfind("* ", 0) == 0) return Trim(line.substr(2));
  return line;
}

// Long paragraphs (text from PDFs) become sentences; short lines stay whole.
void AddPieces(const std::string& line, std::vector<std::string>& out) {
  if (line.size() <= 300) {
    out.push_back(line);
    return;
  }
  std::size_t start = 0;
  for (std::size_t i = 0; i + 1 < line.size(); ++i) {
    if ((line[i] == '.' || line[i] == '!' || line[i] == '?') && line[i + 1] == ' ') {
      const std::string s = Trim(std::string_view(line).substr(start, i + 1 - start));
      if (!s.empty()) out.push_back(s);
      start = i + 2;
    }
  }
  const std::string rest = Trim(std::string_view(line).substr(start));
  if (!rest.empty()) out.push_back(rest);
}

std::vector<Candidate> CandidatesOf(const json& context) {
  std::vector<Candidate> out;
  if (!context.is_array()) return out;
  for (std::size_t rank = 0; rank < context.size(); ++rank) {
    const json& chunk = context[rank];
    if (!chunk.is_object() || !chunk.contains("text") || !chunk["text"].is_string()) continue;
    const std::string title = chunk.value("title", std::string());
    const int page =
        chunk.contains("page") && chunk["page"].is_number_integer() ? chunk["page"].get<int>() : 0;
    const std::string text = chunk["text"].get<std::string>();
    std::string heading;
    std::size_t start = 0;
    while (start <= text.size()) {
      auto end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      const std::string line = Trim(std::string_view(text).substr(start, end - start));
      start = end + 1;
      if (line.empty()) continue;
      if (line.front() == '#') {
        heading = Trim(line.substr(line.find_first_not_of('#')));
        continue;
      }
      std::vector<std::string> pieces;
      AddPieces(Readable(line), pieces);
      for (auto& p : pieces) {
        if (p.empty()) continue;
        Candidate c;
        c.words = Words(p);
        if (c.words.empty()) continue;
        c.text = std::move(p);
        c.heading = heading;
        c.heading_words = Words(heading);
        c.title = title;
        c.page = page;
        c.rank = rank;
        out.push_back(std::move(c));
      }
    }
  }
  return out;
}

bool HasDigit(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool Contains(const std::vector<std::string>& words, const std::string& q) {
  return std::any_of(words.begin(), words.end(),
                     [&](const std::string& w) { return sloth::text::SameStem(q, w); });
}

struct Scored {
  std::size_t index = 0;
  double score = 0;     // matched weight plus bonuses
  double coverage = 0;  // share of the question's weight the line matches
};

// The lines that answer `question`, best first (empty when none answers it).
std::vector<Scored> Answering(const std::string& question, const std::vector<Candidate>& lines,
                              const std::string& language) {
  std::vector<std::string> query;
  bool price = false;
  for (const auto& w : Words(question)) {
    if (PriceWords().count(w)) price = true;
    if (StopWords().count(w) || PriceWords().count(w) || sloth::text::Length(w) < 2) continue;
    if (std::find(query.begin(), query.end(), w) == query.end()) query.push_back(w);
  }
  std::vector<Scored> out;
  if (query.empty() || lines.empty()) return out;
  // Rarer words weigh more: "EUR" or "salon" in every line decides nothing.
  std::vector<double> weight(query.size());
  double total = 0;
  for (std::size_t q = 0; q < query.size(); ++q) {
    std::size_t df = 0;
    for (const auto& l : lines) df += Contains(l.words, query[q]) ? 1 : 0;
    weight[q] = std::log(1.0 + static_cast<double>(lines.size()) / (1.0 + static_cast<double>(df)));
    total += weight[q];
  }
  const bool cyrillic = IsCyrillicLanguage(language);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto& l = lines[i];
    double matched = 0, heading = 0;
    for (std::size_t q = 0; q < query.size(); ++q) {
      if (Contains(l.words, query[q])) {
        matched += weight[q];
      } else if (Contains(l.heading_words, query[q])) {
        heading += 0.5 * weight[q];
      }
    }
    if (matched <= 0) continue;
    Scored s;
    s.index = i;
    s.coverage = (matched + heading) / total;
    s.score = matched + heading;
    if (price && HasDigit(l.text)) s.score += 0.5;
    if (sloth::text::MostlyCyrillic(l.text) == cyrillic) s.score += 0.3;
    s.score += 0.3 / static_cast<double>(1 + l.rank);
    out.push_back(s);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Scored& a, const Scored& b) { return a.score > b.score; });
  // A line answering less than a third of what was asked is not an answer.
  while (!out.empty() && out.back().coverage < 0.34) out.pop_back();
  return out;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

std::string LastOf(const json& messages, const char* role) {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (it->is_object() && it->value("role", std::string()) == role && it->contains("content") &&
        (*it)["content"].is_string())
      return (*it)["content"].get<std::string>();
  }
  return "";
}

std::string QuoteAnswer(const std::vector<Scored>& best, const std::vector<Candidate>& lines,
                        const std::string& language) {
  const Phrases& p = PhrasesFor(language);
  std::vector<const Candidate*> chosen{&lines[best[0].index]};
  // A second line when it is nearly as good (a price and its description, two sizes).
  if (best.size() > 1 && best[1].score >= 0.8 * best[0].score &&
      lines[best[1].index].text != chosen[0]->text)
    chosen.push_back(&lines[best[1].index]);
  std::string out;
  const bool cyrillic = IsCyrillicLanguage(language);
  if (sloth::text::MostlyCyrillic(chosen[0]->text) != cyrillic) out = std::string(p.lead) + "\n";
  for (const auto* c : chosen) out += c->text + "\n";
  std::vector<std::string> titles;
  for (const auto* c : chosen) {
    std::string t = c->title;
    if (t.empty()) continue;
    if (c->page > 0) t += ", p. " + std::to_string(c->page);
    if (std::find(titles.begin(), titles.end(), t) == titles.end()) titles.push_back(t);
  }
  if (!titles.empty()) {
    out += "\n" + std::string(p.source) + ": ";
    for (std::size_t i = 0; i < titles.size(); ++i) out += (i ? "; " : "") + titles[i];
  }
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// ---- tools ------------------------------------------------------------------------------

const json* FindTool(const json& tools, std::initializer_list<const char*> names) {
  if (!tools.is_array()) return nullptr;
  for (const char* name : names) {
    for (const auto& t : tools) {
      const json& f = t.contains("function") ? t["function"] : t;
      if (f.is_object() && f.value("name", std::string()) == name) return &f;
    }
  }
  return nullptr;
}

// "tomorrow" / "завтра" / "jutro" / "morgen" → the day after hints.today (YYYY-MM-DD).
std::string DateFrom(const std::vector<std::string>& words, const std::string& today) {
  // A date written out (2026-12-07) is taken as it is.
  for (const auto& w : words) {
    if (w.size() == 10 && w[4] == '-' && w[7] == '-' &&
        std::all_of(w.begin(), w.end(), [](char c) { return c == '-' || (c >= '0' && c <= '9'); }))
      return w;
  }
  if (today.size() != 10) return "";
  int offset = -1;
  for (const auto& w : words) {
    if (w == "today" || w == "сьогодні" || w == "сегодня" || w == "dzisiaj" || w == "dziś" ||
        w == "heute")
      offset = 0;
    if (w == "tomorrow" || w == "завтра" || w == "jutro" || w == "morgen") offset = 1;
  }
  if (offset < 0) return "";
  // The calendar of <chrono>: month lengths and leap years, and a malformed `today` refused
  // rather than read out of bounds.
  const auto number = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t k = at; k < at + n; ++k) {
      if (today[k] < '0' || today[k] > '9') return -1;
      v = v * 10 + (today[k] - '0');
    }
    return v;
  };
  const std::chrono::year_month_day base{std::chrono::year{number(0, 4)},
                                         std::chrono::month{static_cast<unsigned>(number(5, 2))},
                                         std::chrono::day{static_cast<unsigned>(number(8, 2))}};
  if (!base.ok()) return "";
  const std::chrono::year_month_day day{std::chrono::sys_days{base} + std::chrono::days{offset}};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(day.year()),
                static_cast<unsigned>(day.month()), static_cast<unsigned>(day.day()));
  return buf;
}

// "at 10", "о 10", "10:30", "o 14" → "HH:MM".
std::string TimeFrom(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!(text[i] >= '0' && text[i] <= '9') || (i > 0 && text[i - 1] >= '0' && text[i - 1] <= '9'))
      continue;
    std::size_t j = i;
    int h = 0;
    while (j < text.size() && j - i < 2 && text[j] >= '0' && text[j] <= '9')
      h = h * 10 + (text[j++] - '0');
    if (j < text.size() && text[j] >= '0' && text[j] <= '9') continue;  // a longer number
    int m = 0;
    bool has_minutes = false;
    if (j + 2 < text.size() && (text[j] == ':' || text[j] == '.') &&
        std::isdigit(static_cast<unsigned char>(text[j + 1])) &&
        std::isdigit(static_cast<unsigned char>(text[j + 2]))) {
      m = (text[j + 1] - '0') * 10 + (text[j + 2] - '0');
      has_minutes = true;
    }
    // A bare number counts as an hour only after a word for "at".
    const std::string before = text.substr(i >= 5 ? i - 5 : 0, i >= 5 ? 5 : i);
    // "at 10", "to 12", "о 10", "в 10", "на 12", "o 10", "na 12", "um 10", "auf 12".
    static const char* const kAt[] = {"at ", "to ", "о ", "в ", "на ", "o ", "na ", "um ", "uf "};
    const bool after_at = std::any_of(std::begin(kAt), std::end(kAt), [&](const char* at) {
      const std::string marker(at);
      return before.size() >= marker.size() &&
             before.compare(before.size() - marker.size(), marker.size(), marker) == 0;
    });
    if ((has_minutes || after_at) && h < 24 && m < 60) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%02d:%02d", h, m);
      return buf;
    }
  }
  return "";
}

// A change that is a cancellation, in the five languages.
bool IsCancel(const std::string& text) {
  static const char* const kStems[] = {"cancel", "скасу", "відмін", "отмен",  "odwoł",
                                       "anul",   "storn", "absag",  "abzusag"};
  for (const auto& w : Words(text)) {
    for (const char* stem : kStems) {
      if (w.rfind(stem, 0) == 0) return true;
    }
  }
  return false;
}

json ToolCall(const json& tool, const std::string& text, const json& hints) {
  json args = json::object();
  const json& props =
      tool.contains("parameters") ? tool["parameters"].value("properties", json()) : json();
  const auto words = Words(text);
  if (props.is_object()) {
    for (const auto& [name, schema] : props.items()) {
      if (name == "text" || name == "query" || name == "request" || name == "message") {
        args[name] = text;
      } else if (name == "date") {
        const auto d = DateFrom(words, hints.value("today", std::string()));
        if (!d.empty()) args[name] = d;
      } else if (name == "time") {
        const auto t = TimeFrom(text);
        if (!t.empty()) args[name] = t;
      }
    }
  }
  return json{
      {"id", "call_local_1"}, {"name", tool.value("name", std::string())}, {"arguments", args}};
}

// Words a tool's answer for the client: its own `reply` or `message` when it gives one.
std::string WordToolResults(const json& messages, const std::string& language) {
  std::string out;
  for (auto it = messages.rbegin(); it != messages.rend() && it->value("role", "") == "tool";
       ++it) {
    const auto content = it->value("content", std::string());
    const json r = json::parse(content, nullptr, false);
    std::string piece;
    if (r.is_object() && r.contains("reply") && r["reply"].is_string()) {
      piece = r["reply"].get<std::string>();
    } else if (r.is_object() && r.contains("message") && r["message"].is_string()) {
      piece = r["message"].get<std::string>();
    } else if (r.is_object() && r.contains("error")) {
      const json& e = r["error"];
      piece = std::string(PhrasesFor(language).tool_failed) + " " +
              (e.is_string() ? e.get<std::string>() : e.dump());
    } else {
      piece = content.size() > 800 ? content.substr(0, 800) : content;
    }
    out = piece + (out.empty() ? "" : "\n" + out);
  }
  return out;
}

// ---- summaries --------------------------------------------------------------------------

std::string Summarize(const json& messages) {
  std::vector<std::string> asked;
  std::string last_answer, earlier;
  static const std::string kEarlier = "Earlier summary: ";
  for (const auto& m : messages) {
    if (!m.is_object() || !m.contains("content") || !m["content"].is_string()) continue;
    const auto role = m.value("role", std::string());
    const auto text = m["content"].get<std::string>();
    // The host passes the summary so far; the new one carries it on.
    if (role == "system" && text.rfind(kEarlier, 0) == 0) earlier = text.substr(kEarlier.size());
    if (role == "user" && Words(text).size() >= 2) asked.push_back(sloth::text::Prefix(text, 160));
    if (role == "assistant") last_answer = sloth::text::Prefix(text, 200);
  }
  std::string out = earlier.empty() ? "" : sloth::text::Prefix(earlier, 600) + " ";
  // The first questions set the topic; the last ones where it ended.
  std::vector<std::string> keep;
  for (std::size_t i = 0; i < asked.size(); ++i) {
    if (i < 3 || i + 2 >= asked.size()) keep.push_back(asked[i]);
  }
  if (!keep.empty()) {
    out += "The client asked: ";
    for (std::size_t i = 0; i < keep.size(); ++i) out += (i ? " | " : "") + keep[i];
    out += ".";
  }
  if (!last_answer.empty()) out += " Last answer: " + last_answer;
  while (!out.empty() && out.front() == ' ') out.erase(0, 1);
  return sloth::text::Prefix(out, 1200);
}

}  // namespace

json Respond(const json& request) {
  const json messages = request.value("messages", json::array());
  const json hints = request.value("hints", json::object());
  const json tools = request.value("tools", json::array());
  const std::string language = hints.value("language", std::string("en"));
  const std::string intent = hints.value("intent", std::string("question"));
  const Phrases& p = PhrasesFor(language);

  json out = {{"model", "local-extractive-1"}};
  std::string text;
  std::size_t in_chars = 0;
  for (const auto& m : messages) {
    if (m.is_object() && m.contains("content") && m["content"].is_string())
      in_chars += m["content"].get<std::string>().size();
  }

  if (hints.value("task", std::string()) == "summarize") {
    text = Summarize(messages);
  } else if (!messages.empty() && messages.back().value("role", std::string()) == "tool") {
    text = WordToolResults(messages, language);
  } else {
    const std::string question = LastOf(messages, "user");
    const json* tool = nullptr;
    if (intent == "booking") tool = FindTool(tools, {"find_slots", "book"});
    if (intent == "change") {
      tool = IsCancel(question) ? FindTool(tools, {"cancel", "my_bookings"})
                                : FindTool(tools, {"move", "my_bookings"});
    }
    if (tool) {
      out["tool_calls"] = json::array({ToolCall(*tool, question, hints)});
    } else if (intent == "greeting") {
      const std::string salon = hints.contains("salon") && hints["salon"].is_object()
                                    ? hints["salon"].value("name", std::string())
                                    : std::string();
      text = Replace(p.greeting, "{salon}", salon.empty() ? "the salon" : salon);
    } else if (intent == "human") {
      text = p.human;
    } else {
      const auto lines = CandidatesOf(hints.value("context", json::array()));
      const auto best = Answering(question, lines, language);
      if (!best.empty()) {
        text = QuoteAnswer(best, lines, language);
      } else if (intent == "booking" || intent == "change") {
        text = p.booking;
      } else if (intent == "other") {
        text = p.ack;
      } else {
        text = p.no_answer;
      }
    }
  }
  out["text"] = out.contains("tool_calls") ? json(nullptr) : json(text);
  out["usage"] = {{"prompt_tokens", (in_chars + 3) / 4},
                  {"completion_tokens", (text.size() + 3) / 4}};
  return out;
}

}  // namespace local_llm
