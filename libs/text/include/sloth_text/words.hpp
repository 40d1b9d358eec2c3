#pragma once

// Words of a message in the scripts salons' clients write in (ASCII, Latin-1, Latin
// Extended-A for Polish, Cyrillic for Ukrainian and Russian), for the host's router and
// the offline language model alike: one definition of a "word", so what the router
// recognises and what the model matches are the same tokens.

#include <string>
#include <string_view>
#include <vector>

namespace sloth::text {

// One code point from UTF-8 at `i` (advanced); U+FFFD for a malformed sequence.
char32_t Next(std::string_view s, std::size_t& i);
void Append(std::string& out, char32_t cp);
char32_t Lower(char32_t c);
// Letters of those scripts and digits.
bool IsWordChar(char32_t c);
bool IsApostrophe(char32_t c);

// The text's words, lower-cased in any of those scripts; an apostrophe inside a word
// (п'ять, don't) is dropped, a hyphen inside a word kept, everything else separates words.
std::vector<std::string> Words(std::string_view text);

// Two words are one word inflected when they share a prefix as long as the shorter of the
// two (at most 5 code points; words under 3 must be equal): манікюр/манікюру, nail/nails.
bool SameStem(std::string_view a, std::string_view b);

// Code points in `s` (not bytes).
std::size_t Length(std::string_view s);
// At most `n` code points of `s`, never cutting a UTF-8 sequence.
std::string Prefix(std::string_view s, std::size_t n);
// True when `s` has more Cyrillic letters than Latin ones.
bool MostlyCyrillic(std::string_view s);

}  // namespace sloth::text
