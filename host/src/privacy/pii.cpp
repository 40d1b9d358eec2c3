#include "privacy/pii.hpp"

#include <cctype>

namespace sloth::privacy {
namespace {

bool Digit(char c) {
  return c >= '0' && c <= '9';
}
bool Alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}
bool Upper(char c) {
  return c >= 'A' && c <= 'Z';
}
bool LocalChar(char c) {
  return Alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}
bool DomainChar(char c) {
  return Alnum(c) || c == '.' || c == '-';
}

// An e-mail address around the '@' at `at`: [begin, end), or end == begin when none.
std::pair<std::size_t, std::size_t> EmailAround(std::string_view s, std::size_t at) {
  std::size_t b = at;
  while (b > 0 && LocalChar(s[b - 1])) --b;
  std::size_t e = at + 1;
  while (e < s.size() && DomainChar(s[e])) ++e;
  while (e > at + 1 && (s[e - 1] == '.' || s[e - 1] == '-')) --e;  // sentence punctuation
  const std::string_view domain = s.substr(at + 1, e - at - 1);
  const auto dot = domain.rfind('.');
  if (b == at || dot == std::string_view::npos || dot == 0 || domain.size() - dot < 3)
    return {at, at};
  return {b, e};
}

// A run of digits with the separators numbers are written with (spaces, -, ., (, ), a
// leading +), starting at `i`; returns its end and counts its digits.
std::size_t NumberRun(std::string_view s, std::size_t i, int& digits) {
  digits = 0;
  std::size_t end = i, j = i;
  if (j < s.size() && s[j] == '+') ++j;
  while (j < s.size()) {
    if (Digit(s[j])) {
      ++digits;
      end = ++j;
    } else if ((s[j] == ' ' || s[j] == '-' || s[j] == '.' || s[j] == '(' || s[j] == ')') &&
               j + 1 < s.size() && (Digit(s[j + 1]) || s[j + 1] == '(' || s[j + 1] == ' ')) {
      ++j;
    } else {
      break;
    }
  }
  return end;
}

}  // namespace

bool LuhnValid(std::string_view digits) {
  int sum = 0, n = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (!Digit(*it)) continue;
    int d = *it - '0';
    if (n++ % 2 == 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return n > 0 && sum % 10 == 0;
}

bool IbanValid(std::string_view iban) {
  std::string compact;
  for (char c : iban) {
    if (c != ' ') compact += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  if (compact.size() < 15 || compact.size() > 34) return false;
  const std::string moved = compact.substr(4) + compact.substr(0, 4);
  int rem = 0;
  for (char c : moved) {
    if (Digit(c)) {
      rem = (rem * 10 + (c - '0')) % 97;
    } else if (Upper(c)) {
      rem = (rem * 100 + (c - 'A' + 10)) % 97;
    } else {
      return false;
    }
  }
  return rem == 1;
}

std::string MaskPii(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const bool boundary = i == 0 || !Alnum(s[i - 1]);
    // IBAN: two capitals, two digits, then 11..30 letters/digits (spaces every four).
    if (boundary && i + 4 < s.size() && Upper(c) && Upper(s[i + 1]) && Digit(s[i + 2]) &&
        Digit(s[i + 3])) {
      std::size_t e = i + 4;
      while (e < s.size() && (Alnum(s[e]) || (s[e] == ' ' && e + 1 < s.size() && Alnum(s[e + 1]))))
        ++e;
      if (IbanValid(s.substr(i, e - i))) {
        out += "[iban]";
        i = e;
        continue;
      }
    }
    if (boundary && (Digit(c) || (c == '+' && i + 1 < s.size() && Digit(s[i + 1])))) {
      int digits = 0;
      const std::size_t e = NumberRun(s, i, digits);
      const bool ends_word = e >= s.size() || (!Alnum(s[e]) && s[e] != '@');
      if (ends_word && digits >= 13 && digits <= 19 && LuhnValid(s.substr(i, e - i))) {
        out += "[card]";
        i = e;
        continue;
      }
      if (ends_word && digits >= 9 && digits <= 15) {
        out += "[phone]";
        i = e;
        continue;
      }
      out.append(s.substr(i, e - i));
      i = e > i ? e : i + 1;
      continue;
    }
    if (c == '@') {
      const auto [b, e] = EmailAround(s, i);
      if (e > b) {
        out.resize(out.size() - (i - b));  // the local part was copied already
        out += "[email]";
        i = e;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

}  // namespace sloth::privacy
