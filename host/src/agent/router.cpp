#include "agent/router.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <set>

namespace sloth::agent {
namespace {

using text::Lower;
using text::Next;

struct Profile {
  const char* code;
  std::initializer_list<char32_t> letters;  // only this language (of the five) has them
  std::initializer_list<const char*> words;
};

// Function words and the salon words a short message is made of; Latin transliterations
// of Ukrainian and Russian count for those languages.
const std::array<Profile, 5>& Profiles() {
  static const std::array<Profile, 5> profiles = {{
      {"en",
       {},
       {"the",      "a",          "is",          "are",        "how",     "much",   "what",
        "whats",    "when",       "where",       "do",         "does",    "you",    "u",
        "your",     "i",          "i'd",         "me",         "my",      "can",    "could",
        "want",     "would",      "like",        "to",         "for",     "with",   "and",
        "of",       "on",         "in",          "at",         "it",      "please", "pls",
        "thanks",   "thank",      "hi",          "hello",      "hey",     "good",   "morning",
        "book",     "price",      "cost",        "any",        "free",    "there",  "let",
        "speak",    "need",       "appointment", "apointment", "haircut", "nails",  "take",
        "long",     "ok",         "great",       "see",        "then",    "sick",   "cancel",
        "move",     "human",      "person",      "real",       "manager", "not",    "anything",
        "today",    "tomorrow",   "loved",       "last",       "time",    "get",    "make",
        "schedule", "reschedule", "located",     "near",       "accept",  "card",   "payments",
        "opening",  "hours",      "wht",         "mens",       "lot"}},
      {"uk",
       {U'і', U'ї', U'є', U'ґ'},
       {"що",       "як",       "це",         "мені",       "мене",     "ви",     "вас",
        "вам",      "чи",       "є",          "на",         "до",       "з",      "у",
        "в",        "і",        "будь",       "ласка",      "скільки",  "коштує", "ціна",
        "вартість", "вартисть", "дякую",      "привіт",     "добрий",   "день",   "вітаю",
        "запис",    "запишіть", "записатися", "записатись", "хочу",     "можна",  "завтра",
        "сьогодні", "яка",      "де",         "коли",       "котрій",   "вільні", "вільне",
        "щось",     "мій",      "мою",        "добре",      "зустрічі", "skilky", "koshtuye",
        "pryvit",   "dyakuyu",  "zapys",      "zapyshit",   "bud",      "laska",  "mene",
        "khochu",   "mozhna",   "dobryi",     "vitayu",     "yaka",     "tsina"}},
      {"ru",
       {U'ы', U'э', U'ё', U'ъ'},
       {"что",       "как",          "это",         "мне",       "меня",
        "вы",        "вас",          "вам",         "ли",        "есть",
        "на",        "до",           "с",           "у",         "в",
        "и",         "пожалуйста",   "сколько",     "стоит",     "цена",
        "стоимость", "стоимасть",    "спасибо",     "привет",    "добрый",
        "день",      "здравствуйте", "запись",      "запишите",  "записаться",
        "хочу",      "можно",        "завтра",      "сегодня",   "какая",
        "где",       "когда",        "свободные",   "свободное", "что-то",
        "мой",       "мою",          "хорошо",      "встречи",   "skolko",
        "stoit",     "privet",       "spasibo",     "zapis",     "zapishite",
        "menya",     "pozhaluysta",  "pozhalujsta", "hochu",     "mozhno",
        "dobryy",    "zdravstvuyte", "kakaya",      "tsena"}},
      {"pl",
       {U'ą', U'ć', U'ę', U'ł', U'ń', U'ś', U'ź', U'ż'},
       {"jest",     "ile",        "kosztuje", "czy",       "się",        "sie",        "nie",
        "jak",      "jaka",       "jaki",     "gdzie",     "kiedy",      "dzień",      "dzien",
        "dobry",    "cześć",      "czesc",    "witam",     "proszę",     "prosze",     "poproszę",
        "dziękuję", "dziekuje",   "dzięki",   "chcę",      "chce",       "chciałabym", "mogę",
        "moge",     "można",      "mozna",    "jutro",     "dzisiaj",    "na",         "w",
        "o",        "do",         "za",       "z",         "mi",         "moją",       "moja",
        "wizytę",   "wizyte",     "termin",   "terminy",   "wolne",      "wolnego",    "coś",
        "cos",      "bardzo",     "robicie",  "jesteście", "otwieracie", "trwa",       "cena",
        "dobrze",   "zobaczenia", "hej",      "umówić",    "zapisać",    "zapisac"}},
      {"de",
       {U'ä', U'ö', U'ü', U'ß'},
       {"ist",      "wie",    "viel",   "wieviel", "kostet", "was",    "wann",    "wo",
        "der",      "die",    "das",    "ein",     "eine",   "einen",  "einem",   "ich",
        "sie",      "mit",    "für",    "fur",     "und",    "nicht",  "kann",    "können",
        "möchte",   "mochte", "will",   "würde",   "gern",   "bitte",  "danke",   "hallo",
        "guten",    "tag",    "morgen", "abend",   "heute",  "termin", "termine", "noch",
        "frei",     "freie",  "haben",  "meinen",  "meine",  "auf",    "uhr",     "am",
        "um",       "bei",    "auch",   "machen",  "preis",  "schön",  "dank",    "vielen",
        "bis",      "dann",   "servus", "den",     "muss",   "echten", "reden",   "sprechen",
        "bekommen", "buchen", "lange",  "dauert",  "zahlen", "karte",  "waren",   "letztes",
        "mal"}},
  }};
  return profiles;
}

}  // namespace

const char* IntentName(Intent intent) {
  switch (intent) {
    case Intent::kQuestion:
      return "question";
    case Intent::kBooking:
      return "booking";
    case Intent::kChange:
      return "change";
    case Intent::kHuman:
      return "human";
    case Intent::kGreeting:
      return "greeting";
    case Intent::kOther:
      return "other";
  }
  return "other";
}

namespace {

// Both read the message's words; RouteMessage splits it once for the two.
std::string LanguageOf(std::string_view text, const std::vector<std::string>& words,
                       std::string_view fallback) {
  std::array<double, 5> score{};
  std::size_t cyrillic = 0, latin = 0, i = 0;
  const auto& profiles = Profiles();
  while (i < text.size()) {
    const char32_t c = Lower(Next(text, i));
    if (c >= 0x430 && c <= 0x491) ++cyrillic;
    if ((c >= 'a' && c <= 'z') || (c >= 0xDF && c <= 0x17F)) ++latin;
    for (std::size_t p = 0; p < profiles.size(); ++p) {
      for (const char32_t l : profiles[p].letters) {
        if (c == l) score[p] += 3;
      }
    }
  }
  for (std::size_t p = 0; p < profiles.size(); ++p) {
    for (const auto& w : words) {
      for (const char* known : profiles[p].words) {
        if (w == known) score[p] += 2;
      }
    }
  }
  // Infinitives tell the two apart where letters do not: Russian -ть / -ться, Ukrainian
  // -ти / -тися / -тись (забронировать / забронювати).
  auto ends = [](const std::string& w, std::string_view suffix) {
    return w.size() > suffix.size() + 2 &&
           w.compare(w.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  for (const auto& w : words) {
    if (ends(w, "ть") || ends(w, "ться")) score[2] += 1;
    if (ends(w, "ти") || ends(w, "тися") || ends(w, "тись")) score[1] += 1;
  }
  // The script decides between the two families; within Cyrillic only uk and ru compete,
  // within Latin all five do (transliterated Ukrainian and Russian).
  const bool cyr = cyrillic > latin;
  const std::array<bool, 5> allowed = {!cyr, true, true, !cyr, !cyr};
  int best = -1;
  double best_score = 0;
  bool tie = false;
  for (int p = 0; p < 5; ++p) {
    if (!allowed[static_cast<std::size_t>(p)]) continue;
    const double s = score[static_cast<std::size_t>(p)];
    if (s > best_score) {
      best = p, best_score = s, tie = false;
    } else if (s == best_score && s > 0) {
      tie = true;
    }
  }
  const std::string fb(fallback);
  auto fallback_ok = [&](bool cyrillic_only) {
    if (fb.empty()) return false;
    return !cyrillic_only || fb == "uk" || fb == "ru";
  };
  if (best < 0 || tie) {
    if (best >= 0 && tie) {
      // Tied: the conversation's language when it is among the tied, else the first.
      for (int p = 0; p < 5; ++p) {
        if (score[static_cast<std::size_t>(p)] == best_score &&
            fb == profiles[static_cast<std::size_t>(p)].code)
          return fb;
      }
      return profiles[static_cast<std::size_t>(best)].code;
    }
    if (cyr) return fallback_ok(true) ? fb : "uk";
    return fallback_ok(false) ? fb : "en";
  }
  return profiles[static_cast<std::size_t>(best)].code;
}

Intent IntentOf(std::string_view text, const std::vector<std::string>& words) {
  std::string joined = " ";
  for (const auto& w : words) joined += w + " ";
  // Phrases (matched on the joined words), stems (a word's beginning) and whole words.
  auto has = [&](std::initializer_list<const char*> phrases,
                 std::initializer_list<const char*> stems,
                 std::initializer_list<const char*> whole) {
    for (const char* p : phrases) {
      if (joined.find(std::string(" ") + p + " ") != std::string::npos) return true;
    }
    for (const auto& w : words) {
      for (const char* s : stems) {
        if (w.compare(0, std::char_traits<char>::length(s), s) == 0) return true;
      }
      for (const char* x : whole) {
        if (w == x) return true;
      }
    }
    return false;
  };
  // A person first: whatever else the message says, the client asked for one.
  if (has({"real person", "talk to someone"},
          {"human", "operator", "manager", "administrator", "адміністратор", "людин", "оператор",
           "менеджер", "администратор", "человек", "człowiek", "czlowiek", "konsultant", "menedżer",
           "menedzer", "mitarbeiter", "mensch", "berater"},
          {"person", "admin"}))
    return Intent::kHuman;
  if (has({"move my", "change my appointment"},
          {"cancel", "reschedul", "postpon",   "скасу",  "відмін",  "перенес", "переніс",
           "отмен",  "odwoł",     "odwol",     "anulu",  "przełoż", "przeloz", "przenie",
           "absag",  "stornier",  "verschieb", "verleg", "skasu",   "perenes", "otmen"},
          {}))
    return Intent::kChange;
  if (has({"sign me up"},
          {"book",   "appointment", "apointment", "reserv", "schedul",  "slot",     "запис",
           "запиш",  "забронюв",    "вільн",      "віконц", "забронир", "свободн",  "окошк",
           "umówi",  "umowi",       "zapisa",     "zapisz", "rezerw",   "zarezerw", "wizyt",
           "termin", "buchen",      "zapys",      "zapish", "zapisat"},
          {"free", "wolne", "wolnego", "wolny", "frei", "freie"}))
    return Intent::kBooking;
  if (text.find('?') != std::string_view::npos ||
      has({"how much", "do you", "do u", "does it", "is there", "how long", "wie viel", "kann ich",
           "gibt es"},
          {"price", "cost", "скільки", "ціна", "ціни", "вартіст", "вартист", "сколько", "цена",
           "стоимо", "стоимас", "kosztuj", "cena", "kostet", "preis", "koshtu", "tsina", "tsena"},
          {"when", "where", "what",  "whats",   "wht",    "how",    "is",
           "are",  "can",   "коли",  "котрій",  "де",     "чи",     "когда",
           "где",  "ile",   "kiedy", "gdzie",   "czy",    "jaka",   "jaki",
           "wann", "wo",    "wie",   "wieviel", "skilky", "skolko", "stoit"}))
    return Intent::kQuestion;
  if (has({"good morning", "good afternoon", "dzień dobry", "dzien dobry", "guten tag",
           "guten morgen", "добрий день", "добрый день"},
          {},
          {"hi", "hello", "hey", "привіт", "вітаю", "привет", "здравствуйте", "cześć", "czesc",
           "witam", "hej", "hallo", "servus", "moin", "pryvit", "privet"}))
    return Intent::kGreeting;
  return Intent::kOther;
}

}  // namespace

std::string DetectLanguage(std::string_view text, std::string_view fallback) {
  return LanguageOf(text, Words(text), fallback);
}

Intent DetectIntent(std::string_view text) {
  return IntentOf(text, Words(text));
}

Route RouteMessage(std::string_view text, std::string_view fallback) {
  const auto words = Words(text);
  return {LanguageOf(text, words, fallback), IntentOf(text, words)};
}

YesNo YesOrNo(std::string_view text) {
  static const std::set<std::string> yes = {
      "yes",         "yeah",      "yep",     "yup",         "ok",     "okay",        "sure",
      "confirm",     "correct",   "please",  "так",         "звісно", "підтверджую", "добре",
      "гаразд",      "да",        "конечно", "подтверждаю", "хорошо", "tak",         "oczywiście",
      "potwierdzam", "dobrze",    "jasne",   "ja",          "gerne",  "klar",        "bestätige",
      "genau",       "natürlich", "ок",      "ага",         "угу",    "fine",        "perfect",
      "great",       "go",        "ahead"};
  static const std::set<std::string> no = {"no",   "nope",  "ні",   "не",   "нет",      "nie",
                                           "nein", "don't", "dont", "stop", "не треба", "не надо"};
  const auto words = Words(text);
  if (words.empty() || words.size() > 5) return YesNo::kNeither;
  bool any_yes = false, any_no = false;
  for (const auto& w : words) {
    if (no.count(w)) any_no = true;
    if (yes.count(w)) any_yes = true;
  }
  if (any_no) return YesNo::kNo;
  return any_yes ? YesNo::kYes : YesNo::kNeither;
}

}  // namespace sloth::agent
