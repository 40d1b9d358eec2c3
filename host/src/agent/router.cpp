#include "agent/router.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <set>

namespace sloth::agent {
namespace {

// One code point from UTF-8 at `i` (advanced); U+FFFD for a malformed sequence.
char32_t Next(std::string_view s, std::size_t& i) {
  const auto c = static_cast<unsigned char>(s[i++]);
  if (c < 0x80) return c;
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : -1;
  if (extra < 0) return 0xFFFD;
  char32_t cp = c & (0x3F >> extra);
  while (extra-- > 0) {
    if (i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return 0xFFFD;
    cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3F);
  }
  return cp;
}

void Append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Lower case for the scripts salons' clients write in: ASCII, Latin-1, Latin Extended-A
// (Polish), Cyrillic (Ukrainian, Russian).
char32_t Lower(char32_t c) {
  if (c >= 'A' && c <= 'Z') return c + 32;
  if ((c >= 0xC0 && c <= 0xDE) && c != 0xD7) return c + 32;
  if (c >= 0x100 && c <= 0x17F) {
    // Pairs upper/lower: even/odd, except 0x139..0x148 and 0x179..0x17E which are odd/even.
    const bool odd_upper = (c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E);
    if (odd_upper ? (c % 2 == 1) : (c % 2 == 0)) return c + 1;
    return c;
  }
  if (c >= 0x410 && c <= 0x42F) return c + 32;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  if (c == 0x490) return 0x491;  // Ґ
  return c;
}

bool IsLetter(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         (c >= 0xDF && c <= 0xFF && c != 0xF7) || (c >= 0x100 && c <= 0x17F) ||
         (c >= 0x430 && c <= 0x45F) || c == 0x491;
}

bool IsApostrophe(char32_t c) {
  return c == '\'' || c == 0x2019 || c == 0x2BC || c == 0x60;
}

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

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string cur;
  std::size_t i = 0;
  while (i < text.size()) {
    const char32_t c = Lower(Next(text, i));
    if (IsLetter(c) || (c == '-' && !cur.empty())) {
      Append(cur, c);
    } else if (IsApostrophe(c) && !cur.empty()) {
      continue;  // п'ять -> пять, don't -> dont
    } else if (!cur.empty()) {
      while (!cur.empty() && cur.back() == '-') cur.pop_back();
      if (!cur.empty()) words.push_back(std::move(cur));
      cur.clear();
    }
  }
  while (!cur.empty() && cur.back() == '-') cur.pop_back();
  if (!cur.empty()) words.push_back(std::move(cur));
  return words;
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

}  // namespace sloth::agent
