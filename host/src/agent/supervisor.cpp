#include "agent/supervisor.hpp"

#include <algorithm>
#include <cctype>

#include "sloth_text/words.hpp"

namespace sloth::agent {
namespace {

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return c < 0x80 ? static_cast<char>(std::tolower(c)) : static_cast<char>(c);
  });
  return out;
}

bool EmailChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
         c == '+';
}

std::vector<std::string> Emails(std::string_view text) {
  std::vector<std::string> out;
  for (std::size_t at = text.find('@'); at != std::string_view::npos; at = text.find('@', at + 1)) {
    std::size_t b = at, e = at + 1;
    while (b > 0 && EmailChar(text[b - 1])) --b;
    while (e < text.size() && EmailChar(text[e])) ++e;
    while (e > at + 1 && text[e - 1] == '.') --e;
    const std::string_view domain = text.substr(at + 1, e - at - 1);
    if (b < at && domain.find('.') != std::string_view::npos)
      out.push_back(LowerAscii(text.substr(b, e - b)));
  }
  return out;
}

// Runs of 9..15 digits written as one number (spaces, dashes, dots, brackets and a leading
// plus between them): phone numbers, as digits only.
std::vector<std::string> PhoneNumbers(std::string_view text) {
  std::vector<std::string> out;
  std::string digits;
  auto flush = [&] {
    if (digits.size() >= 9 && digits.size() <= 15) out.push_back(digits);
    digits.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits += c;
    } else if (!digits.empty() && (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') &&
               i + 1 < text.size() &&
               (std::isdigit(static_cast<unsigned char>(text[i + 1])) || text[i + 1] == '(' ||
                text[i + 1] == ' ')) {
      continue;
    } else if (c == '+' || c == '(') {
      continue;
    } else {
      flush();
    }
  }
  flush();
  return out;
}

std::vector<std::string> Sentences(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == '\n' || text[i] == '.' || text[i] == '!' || text[i] == '?') {
      std::string s(text.substr(start, i - start));
      const auto b = s.find_first_not_of(" \t\r");
      if (b != std::string::npos) out.push_back(s.substr(b));
      start = i + 1;
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> RefusedTopic(std::string_view text,
                                        const std::vector<std::string>& topics) {
  const auto words = text::Words(text);
  for (const auto& topic : topics) {
    const auto need = text::Words(topic);
    if (need.empty()) continue;
    const bool all = std::all_of(need.begin(), need.end(), [&](const std::string& n) {
      return std::any_of(words.begin(), words.end(),
                         [&](const std::string& w) { return text::SameStem(n, w); });
    });
    if (all) return topic;
  }
  return std::nullopt;
}

std::optional<std::string> CheckReply(std::string_view reply, const ReplyCheck& check) {
  if (reply.find_first_not_of(" \t\r\n") == std::string_view::npos) return "empty";
  if (text::Length(reply) > check.max_chars) return "too_long";
  const std::string lower = LowerAscii(reply);
  // A sentence of the instructions repeated word for word: the prompt leaking out.
  for (const auto& s : Sentences(check.system_prompt)) {
    if (s.size() >= 40 && lower.find(LowerAscii(s)) != std::string::npos) return "prompt_echo";
  }
  const std::string grounding = LowerAscii(check.grounding);
  for (const auto& e : Emails(reply)) {
    if (grounding.find(e) == std::string::npos) return "ungrounded_contact: " + e;
  }
  const auto known = PhoneNumbers(check.grounding);
  for (const auto& p : PhoneNumbers(reply)) {
    const bool found = std::any_of(known.begin(), known.end(), [&](const std::string& k) {
      // +380 44 123 45 67 and 044 123 45 67 are one number: compare the last 9 digits.
      return k.size() >= 9 && p.size() >= 9 && k.substr(k.size() - 9) == p.substr(p.size() - 9);
    });
    if (!found) return "ungrounded_contact: " + p;
  }
  return std::nullopt;
}

}  // namespace sloth::agent
