#include "agent/offline_answerer.hpp"

#include <algorithm>
#include <cctype>

namespace sloth::agent {
namespace {

// ASCII letters lower-cased; UTF-8 (Cyrillic) kept as is, matched by its exact forms.
std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
    return c < 0x80 ? static_cast<char>(std::tolower(c)) : static_cast<char>(c);
  });
  return s;
}

bool HasAny(const std::string& text, std::initializer_list<const char*> words) {
  return std::any_of(words.begin(), words.end(),
                     [&](const char* w) { return text.find(w) != std::string::npos; });
}

bool Cyrillic(const std::string& s) {
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0xD0 || c == 0xD1 || c == 0xD2) return true;  // U+0400..U+04FF lead bytes
  }
  return false;
}

}  // namespace

std::string OfflineAnswer(const std::vector<std::string>& messages, const SalonProfile& salon) {
  std::string all;
  for (const auto& m : messages) all += Lower(m) + "\n";
  const bool uk = Cyrillic(all);
  const std::string name = salon.name.empty() ? (uk ? "Салон" : "The salon") : salon.name;
  const std::string call =
      salon.phone.empty() ? ""
                          : (uk ? " Телефон: " : " You can also call us at ") + salon.phone + ".";
  if (HasAny(all, {"book", "appointment", "reserve", "schedule", "запис", "записати", "бронь"})) {
    return uk ? "Із задоволенням запишемо вас! Напишіть, будь ласка, послугу, бажаний день і час — "
                "ми підтвердимо вільне вікно." +
                    call
              : "We'd be happy to book you in! Please tell us the service, and the day and time "
                "that suit you, and we will confirm a free slot." +
                    call;
  }
  if (HasAny(all, {"price", "cost", "how much", "ціна", "вартість", "скільки кошту"})) {
    return uk ? "Дякуємо за питання про ціни! Напишіть, яка послуга вас цікавить, і ми "
                "надішлемо актуальну вартість." +
                    call
              : "Thanks for asking about prices! Tell us which service you are interested in and "
                "we will send you the current price." +
                    call;
  }
  if (HasAny(all, {"hello", "hi ", "hi\n", "hey", "good morning", "good afternoon", "/start",
                   "привіт", "добрий день", "вітаю"})) {
    return uk ? "Вітаємо! Це " + name + ". Чим можемо допомогти?"
              : "Hello! This is " + name + ". How can we help you today?";
  }
  return uk ? "Дякуємо за повідомлення! " + name + " отримав його й відповість найближчим часом."
            : "Thank you for your message! " + name + " has received it and will reply shortly.";
}

}  // namespace sloth::agent
