#pragma once

// The router: the language a client writes in and what they want, decided before any
// model is called, so the reply's language and the turn's path (answer, book, move or
// cancel, hand over to a human) never depend on the LLM. Deterministic and cheap (a few
// microseconds a message): letters only one language has, then function words of each
// language (Latin transliterations of Ukrainian and Russian included), then keyword stems
// per intent in the five languages.

#include <string>
#include <string_view>
#include <vector>

#include "sloth_text/words.hpp"

namespace sloth::agent {

enum class Intent {
  kQuestion,  // a fact from the salon's knowledge (price, hours, address, a service)
  kBooking,   // a new appointment or free times
  kChange,    // move or cancel an appointment
  kHuman,     // asks for a person
  kGreeting,  // hello and nothing else
  kOther,     // thanks, acknowledgements, anything else
};
const char* IntentName(Intent intent);

struct Route {
  std::string language;  // en | uk | ru | pl | de
  Intent intent = Intent::kOther;
};

// `fallback`: the conversation's language so far; a message with no clue of its own (an
// emoji, "ok", a time) keeps it. Without one, English.
Route RouteMessage(std::string_view text, std::string_view fallback = "");
std::string DetectLanguage(std::string_view text, std::string_view fallback = "");
Intent DetectIntent(std::string_view text);

// A short yes or no to the assistant's question ("yes", "так", "да", "tak", "ja, gerne";
// "no", "ні", "нет", "nie", "nein"); neither for anything longer or unclear.
enum class YesNo { kYes, kNo, kNeither };
YesNo YesOrNo(std::string_view text);

// The message's words (sloth_text: the offline model splits text the same way).
using text::Words;

}  // namespace sloth::agent
